//! E-mail notices: the parties' addresses, mails planned once per event and party together
//! with the mailer's position, their attempts, and all of it across a reopen.

use gongxin_store::{Attempt, Contact, MailQuery, MailStatus, NewMail, Party, Store};

use super::fixtures::date;
use super::{AT, Harness};

fn contact(party: Party, address: &str, at_us: i64) -> Contact {
    Contact {
        party,
        address: address.to_owned(),
        set_at_us: at_us,
        set_by: "k0123".to_owned(),
    }
}

fn mail(party: Party, seq: u64) -> NewMail {
    NewMail {
        party,
        subject: "91350200MA00000017".to_owned(),
        seq,
        case: format!("obj_{seq}"),
        due: Some(date("2024-03-08")),
        created_at_us: AT,
    }
}

fn all<S: Store>(store: &S) -> Vec<gongxin_store::Mail> {
    store
        .mails(&MailQuery {
            limit: 100,
            ..MailQuery::default()
        })
        .unwrap()
}

pub fn mails_are_planned_once_per_event_and_party<H: Harness>(harness: &mut H) {
    let mut store = harness.create();
    let subject = Party::Subject("91350200MA00000017".to_owned());
    // A unit whose code happens to be the subject's is another party.
    let same_code_unit = Party::Unit("91350200MA00000017".to_owned());
    let unit = Party::Unit("11350200MB0000000X".to_owned());

    // Addresses: set, replaced, one per party, removed.
    assert_eq!(store.contact(&subject).unwrap(), None);
    store
        .set_contact(&contact(subject.clone(), "old@example.cn", AT))
        .unwrap();
    store
        .set_contact(&contact(subject.clone(), "shop@example.cn", AT + 1))
        .unwrap();
    store
        .set_contact(&contact(unit.clone(), "xinyong@scjg.xm.gov.cn", AT))
        .unwrap();
    store
        .set_contact(&contact(Party::CreditOffice, "xyb@xm.gov.cn", AT))
        .unwrap();
    assert_eq!(
        store.contact(&subject).unwrap(),
        Some(contact(subject.clone(), "shop@example.cn", AT + 1))
    );
    assert_eq!(store.contact(&same_code_unit).unwrap(), None);
    assert_eq!(
        store
            .contact(&Party::CreditOffice)
            .unwrap()
            .unwrap()
            .address,
        "xyb@xm.gov.cn"
    );
    store
        .set_contact(&contact(same_code_unit.clone(), "other@example.cn", AT))
        .unwrap();
    assert!(store.remove_contact(&same_code_unit).unwrap());
    assert!(!store.remove_contact(&same_code_unit).unwrap());
    assert_eq!(store.contact(&same_code_unit).unwrap(), None);
    assert_eq!(
        store.contact(&subject).unwrap().unwrap().address,
        "shop@example.cn",
        "removing one party's address leaves the others"
    );

    // Planning: the mails and the position move together; an event is mailed once per party.
    assert_eq!(store.mail_position().unwrap(), None);
    assert_eq!(store.enqueue_mails(&[], 3).unwrap(), 0);
    assert_eq!(store.mail_position().unwrap(), Some(3));
    let first = [mail(subject.clone(), 4), mail(unit.clone(), 4)];
    assert_eq!(store.enqueue_mails(&first, 5).unwrap(), 2);
    assert_eq!(store.mail_position().unwrap(), Some(5));
    let again = [
        mail(subject.clone(), 4),
        mail(unit.clone(), 4),
        mail(Party::CreditOffice, 4),
        mail(subject.clone(), 7),
    ];
    assert_eq!(
        store.enqueue_mails(&again, 7).unwrap(),
        2,
        "the mails planned before are left as they were"
    );
    let mails = all(&store);
    let planned: Vec<(&Party, u64)> = mails.iter().map(|m| (&m.party, m.seq)).collect();
    assert_eq!(
        planned,
        [
            (&subject, 4),
            (&unit, 4),
            (&Party::CreditOffice, 4),
            (&subject, 7)
        ]
    );
    assert!(mails.windows(2).all(|w| w[0].id < w[1].id));
    let one = &mails[0];
    assert_eq!(one.subject, "91350200MA00000017");
    assert_eq!(one.case, "obj_4");
    assert_eq!(one.due, Some(date("2024-03-08")));
    assert_eq!(
        (one.status, one.attempts, one.next_attempt_us),
        (MailStatus::Pending, 0, AT)
    );
    assert_eq!((one.last_error.as_deref(), one.sent_at_us), (None, None));

    // Due: the pending ones whose time has come, oldest due first.
    let due = |store: &H::Store, at: i64| -> Vec<u64> {
        store
            .mails(&MailQuery {
                due_at_us: Some(at),
                limit: 100,
                ..MailQuery::default()
            })
            .unwrap()
            .iter()
            .map(|m| m.id)
            .collect()
    };
    let ids: Vec<u64> = mails.iter().map(|m| m.id).collect();
    assert_eq!(due(&store, AT - 1), Vec::<u64>::new());
    assert_eq!(due(&store, AT), ids);

    // Attempts: sent; failed and due again later; failed for good.
    assert!(
        store
            .settle_mail(ids[0], &Attempt::Delivered { at_us: AT + 10 })
            .unwrap()
    );
    assert!(
        !store
            .settle_mail(ids[0], &Attempt::Delivered { at_us: AT + 11 })
            .unwrap(),
        "a sent mail is settled"
    );
    let refused = |at_us, retry_at_us| Attempt::Failed {
        at_us,
        error: "RCPT TO refused: 550 mailbox unavailable".to_owned(),
        retry_at_us,
    };
    assert!(
        store
            .settle_mail(ids[1], &refused(AT + 10, Some(AT + 1_000)))
            .unwrap()
    );
    assert!(store.settle_mail(ids[2], &refused(AT + 10, None)).unwrap());
    assert!(!store.settle_mail(ids[2], &refused(AT + 20, None)).unwrap());
    assert_eq!(due(&store, AT + 999), [ids[3]]);
    assert_eq!(due(&store, AT + 1_000), [ids[3], ids[1]]);

    let store = harness.reopen(store);
    assert_eq!(
        store.mail_position().unwrap(),
        Some(7),
        "the position survives a reopen"
    );
    let mails = all(&store);
    assert_eq!(
        (mails[0].status, mails[0].attempts, mails[0].sent_at_us),
        (MailStatus::Sent, 1, Some(AT + 10))
    );
    assert_eq!(
        (mails[1].status, mails[1].attempts, mails[1].next_attempt_us),
        (MailStatus::Pending, 1, AT + 1_000)
    );
    assert_eq!(
        mails[1].last_error.as_deref(),
        Some("RCPT TO refused: 550 mailbox unavailable")
    );
    assert_eq!(
        (mails[2].status, mails[2].attempts),
        (MailStatus::Failed, 1)
    );
    assert_eq!(
        mails[2].last_error.as_deref(),
        Some("RCPT TO refused: 550 mailbox unavailable")
    );

    // Listing by status, and in pages.
    let failed = store
        .mails(&MailQuery {
            status: Some(MailStatus::Failed),
            limit: 100,
            ..MailQuery::default()
        })
        .unwrap();
    assert_eq!(failed.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[2]]);
    let page = store
        .mails(&MailQuery {
            after_id: ids[1],
            limit: 1,
            ..MailQuery::default()
        })
        .unwrap();
    assert_eq!(page.iter().map(|m| m.id).collect::<Vec<_>>(), [ids[2]]);
    assert_eq!(
        store.contact(&subject).unwrap().unwrap().address,
        "shop@example.cn",
        "addresses survive a reopen"
    );
}

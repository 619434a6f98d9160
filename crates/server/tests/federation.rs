//! Federation over real HTTP between nodes on loopback, each with its own data directory: a
//! city node's records go up to the province, the province's come back down, and a national
//! node pulls the province — through a page applied twice (a crash before its cursor was
//! saved) and a peer that goes down mid-transfer. Every node ends with the same records, its
//! own changes never come back to it, every record keeps its origin, and every chain verifies.
//! On SQLite, and on PostgreSQL with every node's store in a schema of its own.

mod common;

use std::collections::BTreeMap;

use common::{Engine, Options, TestServer, company_code, on_both_engines, personal_key, unit_code};
use gongxin_codes::Whitelist;
use gongxin_core::access::Principal;
use gongxin_core::catalog::Catalog;
use gongxin_server::federation::{FederationError, Local, Peer, PullReport, cursor_file, pull};
use gongxin_store::Store;
use serde_json::json;

const CITY: &str = "350200";
const PROVINCE: &str = "350000";
const NATION: &str = "100000";

/// Every record a store holds: id → (content hash, status).
fn records(store: &dyn Store) -> BTreeMap<String, (String, String)> {
    let total = store.counts().unwrap().events as usize;
    let mut held = BTreeMap::new();
    for event in store.events_after(0, total).unwrap() {
        if !event.kind.is_record_change() || held.contains_key(&event.record) {
            continue;
        }
        let stored = store
            .record(&event.record.parse().unwrap())
            .unwrap()
            .unwrap();
        held.insert(
            event.record.clone(),
            (
                format!("{:?}", stored.record.content_hash()),
                format!("{:?}", stored.status),
            ),
        );
    }
    held
}

/// The actor of the first event of each record.
fn origins(store: &dyn Store) -> BTreeMap<String, String> {
    let total = store.counts().unwrap().events as usize;
    let mut first = BTreeMap::new();
    for event in store.events_after(0, total).unwrap() {
        if event.kind.is_record_change() {
            first
                .entry(event.record.clone())
                .or_insert(event.actor.clone());
        }
    }
    first
}

struct Node {
    id: &'static str,
    server: TestServer,
}

impl Node {
    /// Pulls `peer` into this node, at most `pages` pages, keeping the cursor in `cursor`.
    fn pull(
        &self,
        peer: &TestServer,
        cursor: &std::path::Path,
        pages: Option<u64>,
    ) -> Result<PullReport, FederationError> {
        let catalog = Catalog::embedded().unwrap();
        let whitelist = Whitelist::new();
        let key = personal_key();
        let local = Local {
            node_id: self.id,
            catalog: &catalog,
            whitelist: &whitelist,
            personal_key: &key,
        };
        let mut store = self.server.store();
        pull(
            &local,
            &mut *store,
            &Peer {
                url: &peer.base,
                key: &peer.admin,
            },
            cursor,
            pages,
            &|| 1_764_000_000_000_000,
        )
    }
}

on_both_engines!(nodes_exchange_records_both_ways_and_converge_after_faults);

fn nodes_exchange_records_both_ways_and_converge_after_faults(engine: Engine) {
    let mut city = Node {
        id: CITY,
        server: TestServer::start_with(Options {
            configure: |c| c.node_id = CITY.to_owned(),
            engine,
            ..Options::default()
        }),
    };
    let province = Node {
        id: PROVINCE,
        server: TestServer::start_with(Options {
            subjects: 3,
            records: 12,
            configure: |c| c.node_id = PROVINCE.to_owned(),
            engine,
            ..Options::default()
        }),
    };
    let nation = Node {
        id: NATION,
        server: TestServer::start_with(Options {
            subjects: 1,
            records: 1,
            configure: |c| c.node_id = NATION.to_owned(),
            engine,
            ..Options::default()
        }),
    };
    let city_records = records(&*city.server.store());
    assert!(city_records.len() > 500, "{}", city_records.len());

    // Up: the province pulls the city, one page at a time at first.
    let up = cursor_file(&province.server.data_dir, &city.server.base);
    let first = province.pull(&city.server, &up, Some(1)).unwrap();
    assert_eq!(first.pages, 1);
    assert!(!first.caught_up);
    assert!(first.applied > 0 && first.refused.is_empty(), "{first:?}");
    let second = province.pull(&city.server, &up, Some(1)).unwrap();
    assert!(second.applied > 0, "{second:?}");
    // A crash after the second page was applied but before its cursor was saved: the page
    // comes again and changes nothing.
    std::fs::write(&up, format!("{}\n", first.cursor)).unwrap();
    let replayed = province.pull(&city.server, &up, Some(1)).unwrap();
    assert_eq!(replayed.cursor, second.cursor);
    assert_eq!(replayed.applied, 0, "{replayed:?}");
    // The city goes down mid-transfer: the pull fails and keeps its cursor; the city comes
    // back (on a new port) and the pull goes on from there.
    city.server.stop();
    let down = province.pull(&city.server, &up, None).unwrap_err();
    assert!(matches!(down, FederationError::Peer { .. }), "{down}");
    assert_eq!(
        std::fs::read_to_string(&up).unwrap().trim(),
        second.cursor.to_string()
    );
    city.server.restart();
    let rest = province.pull(&city.server, &up, None).unwrap();
    assert!(rest.caught_up, "{rest:?}");
    assert!(rest.refused.is_empty(), "{rest:?}");
    let at_province = records(&*province.server.store());
    for (id, version) in &city_records {
        assert_eq!(at_province.get(id), Some(version), "record {id}");
    }
    // Each city record is recorded as coming from the city.
    let province_origins = origins(&*province.server.store());
    let from_city = city_records
        .keys()
        .filter(|id| province_origins[*id] == format!("node:{CITY}"))
        .count();
    assert!(from_city > 500, "{from_city}");

    // The province lists a company of its own; a new record made there.
    let unit = unit_code(40);
    let lister = province.server.key_for(Principal::Department {
        unit: unit.clone(),
        items: vec!["admin_penalty".to_owned()],
    });
    let company = company_code(77);
    let (status, report) = province.server.post_json(
        "/api/v1/records",
        Some(&lister),
        &json!({"item": "admin_penalty", "records": [{
            "CF_XDR_MC": "福建省联邦示例有限公司", "CF_XDR_LB": "法人及非法人组织",
            "CF_XDR_SHXYM": company, "CF_FRDB": "赵六", "CF_WSH": "闽市监罚〔2025〕9号",
            "CF_WFXW": "虚假宣传", "CF_SY": "经查", "CF_YJ": "《中华人民共和国反不正当竞争法》第二十条",
            "CF_CFLB": "罚款", "CF_NR": "罚款5万元", "CF_NR_FK": "5", "CF_JDRQ": "2025-05-06",
            "CF_CFJG": "福建省市场监督管理局", "CF_CFJGDM": unit,
            "CF_SJLY": "福建省市场监督管理局", "CF_SJLYDM": unit
        }]}),
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["accepted"], 1);

    // Down: the city pulls the province. The city's own records come back and are skipped;
    // the province's come down.
    let down = cursor_file(&city.server.data_dir, &province.server.base);
    let back = city.pull(&province.server, &down, None).unwrap();
    assert!(back.caught_up);
    assert!(back.own >= from_city as u64, "{back:?}");
    assert!(back.applied >= 1, "{back:?}");
    let city_origins = origins(&*city.server.store());
    assert!(
        city_origins
            .values()
            .all(|actor| actor != &format!("node:{CITY}")),
        "a node never applies its own changes"
    );
    let province_records = records(&*province.server.store());
    assert_eq!(
        records(&*city.server.store()),
        province_records,
        "converged"
    );
    // Pulling again brings nothing.
    let idle = city.pull(&province.server, &down, None).unwrap();
    assert_eq!((idle.events, idle.applied), (0, 0), "{idle:?}");

    // The nation pulls the province: the city's records keep the city as their origin.
    let national = cursor_file(&nation.server.data_dir, &province.server.base);
    let all = nation.pull(&province.server, &national, None).unwrap();
    assert!(all.caught_up && all.refused.is_empty(), "{all:?}");
    let at_nation = records(&*nation.server.store());
    for (id, version) in &province_records {
        assert_eq!(at_nation.get(id), Some(version), "record {id}");
    }
    let nation_origins = origins(&*nation.server.store());
    let city_record = city_records.keys().next().unwrap();
    assert_eq!(nation_origins[city_record], format!("node:{CITY}"));
    assert!(
        nation_origins
            .values()
            .any(|a| a == &format!("node:{PROVINCE}"))
    );

    // A node cannot pull from itself.
    let itself = cursor_file(&nation.server.data_dir, &nation.server.base);
    assert!(matches!(
        nation.pull(&nation.server, &itself, None),
        Err(FederationError::SameNode(_))
    ));

    for node in [&city, &province, &nation] {
        node.server.assert_intact();
    }
}

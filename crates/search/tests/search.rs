//! The search engine against real indexes in temporary directories.

use std::sync::Arc;

use gongxin_search::{
    MAX_SCORED, MatchKind, Matched, QueryError, SearchError, SearchIndex, SearchQuery,
    SearchResults, SubjectDoc,
};

fn subject(code: &str, name: &str) -> SubjectDoc {
    SubjectDoc {
        code: code.to_owned(),
        name: name.to_owned(),
        ..SubjectDoc::default()
    }
}

fn index_of(subjects: &[SubjectDoc]) -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let index = SearchIndex::open(dir.path().join("search")).expect("open");
    index.upsert(subjects).expect("upsert");
    (dir, index)
}

fn search(index: &SearchIndex, query: SearchQuery) -> SearchResults {
    index
        .search(&query)
        .unwrap_or_else(|e| panic!("{query:?}: {e}"))
}

/// The codes found for `text`, in rank order.
fn codes(index: &SearchIndex, text: &str) -> Vec<String> {
    search(index, SearchQuery::new(text))
        .hits
        .into_iter()
        .map(|hit| hit.code)
        .collect()
}

fn sorted(mut codes: Vec<String>) -> Vec<String> {
    codes.sort();
    codes
}

#[test]
fn han_substrings_and_prefixes_of_current_and_former_names() {
    let (_dir, index) = index_of(&[
        subject("A", "北京华夏科技有限公司"),
        subject("B", "上海华夏贸易有限公司"),
        subject("C", "北京科技大学"),
        subject("D", "华夏科技（深圳）有限公司"),
        subject("E", "ABC科技发展有限公司"),
        subject("G", "7天连锁酒店第3分店"),
        SubjectDoc {
            former_names: vec!["杭州鑫达机械厂".into(), "鑫达重工".into()],
            ..subject("F", "浙江新名字有限公司")
        },
    ]);
    let cases: &[(&str, &[&str])] = &[
        ("科技", &["A", "C", "D", "E"]),
        ("华夏科", &["A", "D"]),
        ("华夏", &["A", "B", "D"]),
        ("京华", &["A"]),
        ("北京", &["A", "C"]),
        // Not consecutive in 科技大学.
        ("科大", &[]),
        ("华夏科技深圳", &["D"]),
        ("华夏科技(深圳)", &["D"]),
        ("abc科技", &["E"]),
        // A lone Han character next to a word is matched as itself.
        ("7天", &["G"]),
        ("第3分", &["G"]),
        ("店第3", &["G"]),
        ("天连锁", &["G"]),
        ("ＡＢＣ 科技", &["E"]),
        // Parts separated by spaces must all occur, anywhere.
        ("北京 有限", &["A"]),
        ("鑫达", &["F"]),
        ("机械厂", &["F"]),
        // Former names are separate texts: no match across their boundary.
        ("械厂鑫达", &[]),
        ("有限公司", &["A", "B", "D", "E", "F"]),
    ];
    for (text, expected) in cases {
        assert_eq!(
            sorted(codes(&index, text)),
            sorted(expected.iter().map(|&c| c.to_owned()).collect()),
            "{text}"
        );
    }
}

#[test]
fn ranking_follows_how_a_subject_matched_then_record_count() {
    let with = |code: &str, name: &str, formers: &[&str], record_count| SubjectDoc {
        former_names: formers.iter().map(|&f| f.to_owned()).collect(),
        record_count,
        ..subject(code, name)
    };
    let (_dir, index) = index_of(&[
        with("SUBSTRING_FEW", "北京华夏科技有限公司", &[], 1),
        with(
            "FORMER_SUBSTRING",
            "新名字有限公司",
            &["老华夏科技有限公司"],
            1000,
        ),
        with("PREFIX", "华夏科技有限公司北京分公司", &[], 2),
        with("SUBSTRING_MANY", "上海华夏科技有限公司", &[], 100),
        with("FORMER_EXACT", "别的名字", &["华夏科技有限公司"], 0),
        with("EXACT", "华夏科技有限公司", &[], 1),
    ]);
    let results = search(&index, SearchQuery::new("华夏科技有限公司"));
    let ranked: Vec<(&str, Matched, MatchKind)> = results
        .hits
        .iter()
        .map(|h| (h.code.as_str(), h.matched, h.match_kind))
        .collect();
    assert_eq!(
        ranked,
        [
            ("EXACT", Matched::Name, MatchKind::Exact),
            ("PREFIX", Matched::Name, MatchKind::Prefix),
            ("FORMER_EXACT", Matched::FormerName, MatchKind::Exact),
            ("SUBSTRING_MANY", Matched::Name, MatchKind::Substring),
            ("SUBSTRING_FEW", Matched::Name, MatchKind::Substring),
            (
                "FORMER_SUBSTRING",
                Matched::FormerName,
                MatchKind::Substring
            ),
        ]
    );
    assert_eq!(results.total, 6);
    assert_eq!(Matched::FormerName.as_str(), "former_name");
    assert_eq!(results.hits[0].record_count, 1);
}

#[test]
fn codes_match_exactly_in_any_spelling_and_by_prefix() {
    let (_dir, index) = index_of(&[
        SubjectDoc {
            old_codes: vec!["M0001004-3".into(), "350100400012345".into()],
            ..subject("91350100M000100Y43", "福州某某科技有限公司")
        },
        subject("91350100MA2XN0YQ0K", "福州另一家有限公司"),
        subject("92110105MA01ABCD1X", "北京某某小吃店"),
        // Known only by its organisation code.
        subject("12345678-9", "某某研究所"),
    ]);
    // Each finds exactly one subject.
    let cases = [
        (
            "91350100M000100Y43",
            "91350100M000100Y43",
            Matched::Code,
            MatchKind::Exact,
        ),
        (
            " ９１３５０１００ｍ000100y43 ",
            "91350100M000100Y43",
            Matched::Code,
            MatchKind::Exact,
        ),
        (
            "M0001004-3",
            "91350100M000100Y43",
            Matched::OldCode,
            MatchKind::Exact,
        ),
        (
            "m00010043",
            "91350100M000100Y43",
            Matched::OldCode,
            MatchKind::Exact,
        ),
        (
            "350100400012345",
            "91350100M000100Y43",
            Matched::OldCode,
            MatchKind::Exact,
        ),
        ("123456789", "123456789", Matched::Code, MatchKind::Exact),
        ("12345678-9", "123456789", Matched::Code, MatchKind::Exact),
        (
            "92110105",
            "92110105MA01ABCD1X",
            Matched::Code,
            MatchKind::Prefix,
        ),
        (
            "3501004",
            "91350100M000100Y43",
            Matched::OldCode,
            MatchKind::Prefix,
        ),
    ];
    for (text, code, matched, kind) in cases {
        let hits: Vec<_> = search(&index, SearchQuery::new(text))
            .hits
            .into_iter()
            .map(|h| (h.code, h.matched, h.match_kind))
            .collect();
        assert_eq!(hits, [(code.to_owned(), matched, kind)], "{text}");
    }
    // A prefix finds every code that starts with it.
    assert_eq!(
        sorted(codes(&index, "913501")),
        ["91350100M000100Y43", "91350100MA2XN0YQ0K"]
    );
    // Five characters are too few for a code prefix.
    assert!(codes(&index, "91350").is_empty());
}

#[test]
fn filters_by_region_prefix_and_subject_type() {
    let uscc = |first17: &str| {
        let check = gongxin_codes::uscc_check_char(first17).expect("computable");
        format!("{first17}{check}")
    };
    let (shop, beijing) = (uscc("92350102MA2Y0H0F4"), uscc("91110105MA01C0XF3"));
    let mut docs = vec![
        SubjectDoc::new("91350100M000100Y43", "福州华夏有限公司"),
        SubjectDoc::new(&shop, "福州鼓楼华夏小吃店"),
        SubjectDoc::new(&beijing, "北京华夏有限公司"),
    ];
    docs.push(subject("NO-REGION", "华夏无地区"));
    assert_eq!(docs[1].region_code.as_deref(), Some("350102"));
    assert_eq!(docs[1].subject_type.as_deref(), Some("92"));
    let (_dir, index) = index_of(&docs);
    let filtered = |region: Option<&str>, kind: Option<&str>| {
        let query = SearchQuery {
            region: region.map(str::to_owned),
            subject_type: kind.map(str::to_owned),
            ..SearchQuery::new("华夏")
        };
        let results = search(&index, query);
        assert_eq!(results.total, results.hits.len() as u64);
        sorted(results.hits.into_iter().map(|h| h.code).collect())
    };
    assert_eq!(filtered(None, None).len(), 4);
    let fuzhou = ["91350100M000100Y43".to_owned(), shop.clone()];
    assert_eq!(filtered(Some("35"), None), fuzhou);
    assert_eq!(filtered(Some("3501"), None), fuzhou);
    assert_eq!(filtered(Some("350102"), None), [shop]);
    assert_eq!(
        filtered(None, Some("91")),
        [beijing, "91350100M000100Y43".to_owned()]
    );
    assert_eq!(filtered(Some("35"), Some("91")), ["91350100M000100Y43"]);
    assert!(filtered(Some("44"), None).is_empty());
}

#[test]
fn legal_representatives_only_when_the_query_allows() {
    let (_dir, index) = index_of(&[SubjectDoc {
        legal_representatives: vec!["张三丰".into()],
        ..subject("A", "武当太极有限公司")
    }]);
    for text in ["张三丰", "张三"] {
        assert!(
            codes(&index, text).is_empty(),
            "public search matched {text}"
        );
    }
    let public = search(&index, SearchQuery::new("太极"));
    assert_eq!(public.hits.len(), 1);
    assert!(public.hits[0].legal_representatives.is_empty());

    let allowed = |text: &str| SearchQuery {
        match_legal_representatives: true,
        ..SearchQuery::new(text)
    };
    let found = search(&index, allowed("张三丰"));
    assert_eq!(found.hits.len(), 1);
    assert_eq!(found.hits[0].matched, Matched::LegalRepresentative);
    assert_eq!(found.hits[0].legal_representatives, ["张三丰"]);
    // A person's name matches whole, never a fragment of it.
    assert!(search(&index, allowed("张三")).hits.is_empty());
}

#[test]
fn identity_number_hashes_match_only_when_the_query_allows() {
    let hash = "00112233445566778899aabb";
    let (_dir, index) = index_of(&[SubjectDoc {
        personal_id_hashes: vec![hash.into()],
        ..subject("A", "武当太极有限公司")
    }]);
    let query = |allowed| SearchQuery {
        match_legal_representatives: allowed,
        personal_id_hash: Some(hash.into()),
        ..SearchQuery::new("110105194912310021")
    };
    assert!(search(&index, query(false)).hits.is_empty());
    let found = search(&index, query(true));
    assert_eq!(found.hits.len(), 1);
    assert_eq!(found.hits[0].matched, Matched::LegalRepresentative);
    assert!(
        codes(&index, hash).is_empty(),
        "the hash is not a public search term"
    );
}

#[test]
fn upsert_replaces_by_normalised_code() {
    let (_dir, index) = index_of(&[subject("91350100M000100Y43", "旧名称科技有限公司")]);
    index
        .upsert(&[SubjectDoc {
            former_names: vec!["旧名称科技有限公司".into()],
            record_count: 7,
            ..subject("91350100m000100y43", "新名称科技有限公司")
        }])
        .expect("upsert");
    assert_eq!(index.num_subjects(), 1);
    let hit = &search(&index, SearchQuery::new("旧名称")).hits[0];
    assert_eq!(
        (hit.name.as_str(), hit.matched),
        ("新名称科技有限公司", Matched::FormerName)
    );
    assert_eq!(hit.record_count, 7);
    // The last of one code in a batch wins.
    index
        .upsert(&[subject("X", "第一版本"), subject("X", "第二版本")])
        .expect("upsert");
    assert!(codes(&index, "第一版本").is_empty());
    assert_eq!(codes(&index, "第二版本"), ["X"]);
}

#[test]
fn a_bad_subject_fails_its_batch() {
    let (_dir, index) = index_of(&[]);
    let bad = [
        subject("", "没有代码"),
        SubjectDoc {
            region_code: Some("3501".into()),
            ..subject("A", "地区太短")
        },
        SubjectDoc {
            subject_type: Some("9".into()),
            ..subject("A", "类型太短")
        },
    ];
    for doc in bad {
        let batch = [subject("OK", "正常的有限公司"), doc];
        assert!(matches!(
            index.upsert(&batch),
            Err(SearchError::InvalidSubject { .. })
        ));
    }
    assert_eq!(index.num_subjects(), 0);
}

#[test]
fn rebuild_swaps_in_a_new_index_and_survives_reopening() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("search");
    let index = SearchIndex::open(&root).expect("open");
    index
        .upsert(&[subject("OLD", "旧的有限公司")])
        .expect("upsert");

    let fresh: Vec<SubjectDoc> = (0..3000)
        .map(|i| subject(&format!("NEW{i}"), &format!("新建第{i}号有限公司")))
        .collect();
    let mut reported = Vec::new();
    let count = index
        .rebuild(fresh.into_iter().map(Ok::<_, std::io::Error>), |n| {
            reported.push(n)
        })
        .expect("rebuild");
    assert_eq!(count, 3000);
    assert_eq!(reported, [1024, 2048, 3000]);
    assert!(codes(&index, "旧的").is_empty());
    assert_eq!(search(&index, SearchQuery::new("新建")).total, 3000);
    // Still writable after the swap.
    index
        .upsert(&[subject("LATE", "后来的有限公司")])
        .expect("upsert");
    drop(index);

    let entries: Vec<String> = std::fs::read_dir(&root)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(sorted(entries), ["CURRENT", "gen-000002"]);
    let reopened = SearchIndex::open(&root).expect("reopen");
    assert_eq!(reopened.num_subjects(), 3001);
    assert_eq!(codes(&reopened, "后来"), ["LATE"]);
}

#[test]
fn a_failed_rebuild_leaves_the_old_index() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("search");
    let index = SearchIndex::open(&root).expect("open");
    index
        .upsert(&[subject("OLD", "旧的有限公司")])
        .expect("upsert");

    let failing = (0..10).map(|i| {
        if i < 5 {
            Ok(subject(&format!("N{i}"), "新的有限公司"))
        } else {
            Err(std::io::Error::other("the store went away"))
        }
    });
    let error = index.rebuild(failing, |_| {}).expect_err("source fails");
    assert!(matches!(error, SearchError::Source(_)), "{error}");
    let malformed = [Ok::<_, std::io::Error>(subject("", "没有代码"))];
    let error = index.rebuild(malformed, |_| {}).expect_err("bad subject");
    assert!(
        matches!(error, SearchError::InvalidSubject { .. }),
        "{error}"
    );

    assert_eq!(codes(&index, "旧的"), ["OLD"]);
    assert!(codes(&index, "新的").is_empty());
    let entries = std::fs::read_dir(&root).expect("list").count();
    assert_eq!(entries, 2, "only CURRENT and the live generation remain");
}

#[test]
fn upserts_during_a_rebuild_reach_the_new_index() {
    let (_dir, index) = index_of(&[subject("A", "甲的旧名有限公司")]);
    let index = Arc::new(index);
    let during = Arc::clone(&index);
    // The source is read while the rebuild runs; upsert from inside it, as an import would.
    let source = (0..2).map(move |i| {
        if i == 1 {
            during
                .upsert(&[subject("A", "甲的新名有限公司"), subject("B", "乙有限公司")])
                .expect("upsert during rebuild");
            // Live at once, before the swap.
            assert_eq!(codes(&during, "乙有限"), ["B"]);
        }
        // The snapshot still has A's old name.
        Ok::<_, std::io::Error>(subject(
            if i == 0 { "A" } else { "C" },
            if i == 0 {
                "甲的旧名有限公司"
            } else {
                "丙有限公司"
            },
        ))
    });
    index.rebuild(source, |_| {}).expect("rebuild");
    assert_eq!(index.num_subjects(), 3);
    assert_eq!(codes(&index, "甲的新名"), ["A"]);
    assert!(codes(&index, "甲的旧名").is_empty());
    assert_eq!(codes(&index, "乙有限"), ["B"]);
}

#[test]
fn bad_queries_are_refused() {
    let (_dir, index) = index_of(&[subject("A", "华夏有限公司")]);
    let long = "华".repeat(101);
    let cases: Vec<(SearchQuery, QueryError)> = vec![
        (SearchQuery::new(""), QueryError::Empty),
        (SearchQuery::new(" \u{3000} "), QueryError::Empty),
        (SearchQuery::new("（）·"), QueryError::Empty),
        (SearchQuery::new("华"), QueryError::TooShort { min: 2 }),
        (SearchQuery::new(" 华 "), QueryError::TooShort { min: 2 }),
        (
            SearchQuery::new(long),
            QueryError::TooLong {
                chars: 101,
                max: 100,
            },
        ),
        (
            SearchQuery {
                limit: 101,
                ..SearchQuery::new("华夏")
            },
            QueryError::LimitTooLarge {
                limit: 101,
                max: 100,
            },
        ),
        (
            SearchQuery {
                offset: 990,
                limit: 20,
                ..SearchQuery::new("华夏")
            },
            QueryError::PageTooDeep {
                end: 1010,
                max: 1000,
            },
        ),
        (
            SearchQuery {
                region: Some("350".into()),
                ..SearchQuery::new("华夏")
            },
            QueryError::InvalidRegion("350".into()),
        ),
        (
            SearchQuery {
                region: Some("35010a".into()),
                ..SearchQuery::new("华夏")
            },
            QueryError::InvalidRegion("35010a".into()),
        ),
        (
            SearchQuery {
                subject_type: Some("9".into()),
                ..SearchQuery::new("华夏")
            },
            QueryError::InvalidSubjectType("9".into()),
        ),
    ];
    for (query, expected) in cases {
        match index.search(&query) {
            Err(SearchError::Query(error)) => assert_eq!(error, expected, "{query:?}"),
            other => panic!("{query:?}: {other:?}"),
        }
    }
    // 100 characters are fine; lower-case subject types are normalised.
    let ok = [
        SearchQuery::new("华".repeat(100)),
        SearchQuery {
            subject_type: Some("9a".into()),
            ..SearchQuery::new("华夏")
        },
        SearchQuery {
            limit: 0,
            ..SearchQuery::new("华夏")
        },
    ];
    for query in ok {
        assert!(index.search(&query).is_ok(), "{query:?}");
    }
}

#[test]
fn pages_are_disjoint_and_count_everything() {
    let docs: Vec<SubjectDoc> = (0..30u64)
        .map(|i| SubjectDoc {
            record_count: i % 4,
            ..subject(&format!("S{i:02}"), &format!("华夏第{i}分公司"))
        })
        .collect();
    let (_dir, index) = index_of(&docs);
    let page = |offset, limit| {
        let results = search(
            &index,
            SearchQuery {
                offset,
                limit,
                ..SearchQuery::new("华夏")
            },
        );
        assert_eq!(results.total, 30);
        results.hits.into_iter().map(|h| h.code).collect::<Vec<_>>()
    };
    let all = page(0, 30);
    assert_eq!(all.len(), 30);
    assert_eq!([page(0, 10), page(10, 10), page(20, 10)].concat(), all);
    assert!(page(0, 0).is_empty());
    assert!(page(40, 10).is_empty());
}

#[test]
fn concurrent_searches_share_one_index() {
    fn shareable<T: Send + Sync>() {}
    shareable::<SearchIndex>();
    let (_dir, index) = index_of(&[subject("A", "华夏有限公司")]);
    let index = Arc::new(index);
    let searchers: Vec<_> = (0..4)
        .map(|_| {
            let index = Arc::clone(&index);
            std::thread::spawn(move || (0..50).all(|_| codes(&index, "华夏") == ["A"]))
        })
        .collect();
    index
        .upsert(&[subject("B", "别的有限公司")])
        .expect("upsert");
    for searcher in searchers {
        assert!(searcher.join().expect("thread"));
    }
}

#[test]
fn a_query_matching_too_much_still_finds_its_exact_and_prefix_matches() {
    let (_dir, index) = index_of(&[]);
    let many = (0..MAX_SCORED + 10).map(|i| {
        Ok::<_, std::io::Error>(SubjectDoc {
            record_count: i % 7,
            ..subject(&format!("S{i}"), &format!("第{i}号华夏有限公司"))
        })
    });
    index.rebuild(many, |_| {}).expect("rebuild");
    // Added last, so scored last, if at all.
    index
        .upsert(&[subject("PREFIX", "华夏有限公司北京分公司")])
        .expect("upsert");
    let results = search(&index, SearchQuery::new("华夏有限"));
    assert!(!results.exhaustive);
    assert_eq!(results.total, MAX_SCORED);
    assert_eq!(results.hits.len(), 20);
    assert_eq!(
        (results.hits[0].code.as_str(), results.hits[0].match_kind),
        ("PREFIX", MatchKind::Prefix)
    );
    assert!(results.hits[1..].iter().all(|h| h.record_count == 6));

    let narrow = search(&index, SearchQuery::new("第12345号"));
    assert!(narrow.exhaustive);
    assert_eq!(narrow.total, 1);
}

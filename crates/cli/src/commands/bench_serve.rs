//! `gongxin bench serve`: profile lookup and name search over a large data set, in process
//! and over HTTP under concurrent load, against a trivial JSON endpoint of the same server
//! measured in the same run; and the change feed's read rate. On SQLite or, with
//! `--database-url`, PostgreSQL.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use gongxin_core::access::Principal;
use gongxin_ingest::generate::GenerateOptions;
use gongxin_ingest::import::{Silent, import_files};
use gongxin_search::SearchQuery;
use gongxin_server::config::ServerConfig;
use gongxin_server::{AppState, PROFILE_RECORDS_PER_GROUP, build_profile};
use gongxin_store::Store;

use crate::commands::bench::import_options;
use crate::commands::generate::generate_with_progress;
use crate::config::{DataArgs, DatabaseUrl, KeyArgs, RuleArgs, now_us};
use crate::progress;

#[derive(Debug, Args)]
pub struct ServeBenchArgs {
    #[arg(long, default_value_t = 1_000_000)]
    subjects: usize,
    #[arg(long, default_value_t = 5_000_000)]
    records: usize,
    /// Working directory; a data set already there with enough records is reused.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Subjects and name fragments sampled: half warm the code paths, half are timed.
    #[arg(long, default_value_t = 4_000)]
    samples: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Seconds of load per endpoint.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// A PostgreSQL database (`postgres://…`) to hold the data set instead of SQLite in
    /// `DIR/data`; the search index stays in `DIR/data`.
    #[arg(long, value_name = "URL")]
    database_url: Option<DatabaseUrl>,
    #[command(flatten)]
    rules: RuleArgs,
}

pub fn run(args: ServeBenchArgs) -> Result<ExitCode> {
    let data = DataArgs {
        data_dir: args.dir.join("data"),
        database_url: args.database_url.clone(),
        rules: args.rules.clone(),
        key: KeyArgs::default(),
        today: None,
    };
    prepare(&args, &data)?;
    let platform = data.platform()?;
    let mut store = data.open_store()?;
    let counts = store.counts()?;
    println!(
        "data: {} subjects, {} records, {} indexed subjects",
        counts.subjects,
        counts.records,
        platform.search.num_subjects()
    );
    let (codes, fragments) = sample(&*store, args.samples)?;
    let uniform_codes = sample_uniform(&*store, args.samples)?;

    // The public profile cache as a running server fills it (`fill_profiles`): every subject
    // without a profile holding today, built and kept. A data set filled before is reused.
    let today = platform.clock.today();
    let mut writer = data.open_store()?;
    let bar = progress::bar(
        Some(counts.subjects),
        "缓存主体信息 / caching profiles",
        false,
    );
    let started = Instant::now();
    let filled =
        gongxin_server::profiles::fill(&platform, &*store, &mut *writer, today, &mut |n| {
            bar.set_position(n)
        })
        .map_err(|e| anyhow::anyhow!("filling the profile cache: {:?}", e.code()))?;
    bar.finish_and_clear();
    drop(writer);
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "profile cache: {} profiles built and {} kept ({:.1} MiB gzip) in {:.1} s, {:.0}/s",
        filled.built,
        filled.kept,
        filled.bytes as f64 / (1 << 20) as f64,
        seconds,
        filled.built as f64 / seconds.max(f64::EPSILON)
    );

    // What the endpoint does for the public: the cached answer (or, missing it, the profile
    // built and written as JSON), as JSON, for a client that does not take gzip.
    let answer = |code: &String| -> Result<()> {
        gongxin_server::profiles::public_profile(&platform, &*store, code, today)
            .and_then(|(answer, _)| answer.into_json())
            .map_err(|e| anyhow::anyhow!("{:?}", e.code()))?;
        Ok(())
    };
    let uniform_answer = time_each(&uniform_codes, answer)?;
    let answered = time_each(&codes, answer)?;

    // The answer built, then written as JSON, without the cache; `per_group` records of each
    // catalog group, as the endpoint shows them, or all of them, as `/me` does.
    let lookup = |per_group: usize| {
        let (platform, store) = (&platform, &store);
        move |code: &String| -> Result<()> {
            let built = build_profile(
                platform,
                &**store,
                &Principal::Public,
                code,
                platform.clock.today(),
                per_group,
            )
            .map_err(|e| anyhow::anyhow!("{:?}", e.code()))?;
            serde_json::to_vec(&built.profile)?;
            Ok(())
        }
    };
    let uniform_profile = time_each(&uniform_codes, lookup(PROFILE_RECORDS_PER_GROUP))?;
    let profile = time_each(&codes, lookup(PROFILE_RECORDS_PER_GROUP))?;
    // The same subjects again, in the other half (each timed lookup still meets its own
    // data for the first time), every record of them.
    let every_record = time_each(&codes[1..], lookup(usize::MAX))?;
    let search = time_each(&fragments, |text| {
        platform
            .search
            .search(&SearchQuery::new(text.as_str()))
            .map(drop)
            .context("search")
    })?;
    println!("\n| in process | n | p50 | p99 |\n| --- | ---: | ---: | ---: |");
    println!(
        "{}",
        uniform_answer
            .latency_row("public profile by USCC (the endpoint's path), subjects at random")
    );
    println!(
        "{}",
        answered.latency_row(
            "public profile by USCC (the endpoint's path), subjects weighted by records"
        )
    );
    println!(
        "{}",
        uniform_profile.latency_row("profile built without the cache, subjects at random")
    );
    println!(
        "{}",
        profile.latency_row("profile built without the cache, subjects weighted by records")
    );
    println!(
        "{}",
        every_record.latency_row(
            "every record of a subject (as `/me` shows it), subjects weighted by records"
        )
    );
    println!(
        "{}",
        search.latency_row("name search (2–4 character fragment)")
    );
    // A credit-office key, to read the change feed as a node or a department does.
    let key =
        gongxin_server::create_key(&mut *store, "bench", Principal::Admin, "bench", now_us())?
            .secret;
    let events = store.counts()?.events;
    drop(store);

    let config = ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        public_requests_per_minute: 0,
        // Filled above; a fill pass looking for what is left would share the cores with the
        // load.
        fill_profiles: false,
        ..ServerConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = runtime.block_on(tokio::net::TcpListener::bind(config.listen))?;
    let address = listener.local_addr()?;
    let state = AppState::new(platform, config)?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(gongxin_server::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let encode = |text: &str| -> String { text.bytes().map(|b| format!("%{b:02X}")).collect() };
    let trivial = vec!["/healthz".to_owned()];
    let profile_paths = |codes: &[String]| -> Vec<String> {
        codes
            .iter()
            .map(|c| format!("/api/v1/subjects/{c}"))
            .collect()
    };
    let searches: Vec<String> = fragments
        .iter()
        .map(|f| format!("/api/v1/subjects?q={}", encode(f)))
        .collect();
    // Pages of 500 events from positions spread over the log, as a node catching up reads.
    let feed_pages: Vec<String> = (0..args.samples as u64)
        .map(|i| {
            let after = events * i / args.samples.max(1) as u64;
            format!("/api/v1/feed?after={after}&limit=500&purpose=bench")
        })
        .collect();
    let duration = Duration::from_secs(args.seconds);
    let load = |paths: &[String], key: Option<&str>, clients: usize| {
        load(address, paths, key, clients, duration)
    };
    let load_trivial = load(&trivial, None, args.concurrency)?;
    let load_uniform = load(&profile_paths(&uniform_codes), None, args.concurrency)?;
    let load_profile = load(&profile_paths(&codes), None, args.concurrency)?;
    let load_search = load(&searches, None, args.concurrency)?;
    let load_feed = load(&feed_pages, Some(&key), 1)?;
    println!(
        "\n| over HTTP, {} clients, {} s each | requests | req/s | p50 | p99 |\n| --- | ---: | ---: | ---: | ---: |",
        args.concurrency, args.seconds
    );
    println!("{}", load_trivial.load_row("GET /healthz (trivial JSON)"));
    println!(
        "{}",
        load_uniform.load_row("GET /api/v1/subjects/{code}, subjects at random")
    );
    println!(
        "{}",
        load_profile.load_row("GET /api/v1/subjects/{code}, subjects weighted by records")
    );
    println!("{}", load_search.load_row("GET /api/v1/subjects?q="));
    println!(
        "{}",
        load_feed.load_row("GET /api/v1/feed, 500 events a page, one client")
    );
    println!(
        "\nprofile / trivial throughput = {:.2} (subjects at random), {:.2} (weighted); \
         search / trivial = {:.2}; feed: {:.0} events/s",
        load_uniform.per_second() / load_trivial.per_second(),
        load_profile.per_second() / load_trivial.per_second(),
        load_search.per_second() / load_trivial.per_second(),
        load_feed.per_second() * 500.0,
    );
    // The server's own account of the same requests: time from routing to response, which
    // leaves out the clients and the sockets.
    let metrics = ureq::get(&format!("http://{address}/metrics"))
        .call()?
        .body_mut()
        .read_to_string()?;
    for route in [
        "/healthz",
        "/api/v1/subjects/{code}",
        "/api/v1/subjects",
        "/api/v1/feed",
    ] {
        let series = format!("route=\"{route}\",method=\"GET\",status=\"200\"");
        let value = |name: &str| {
            metrics
                .lines()
                .find(|l| l.starts_with(name) && l.contains(&series))
                .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let count = value("gongxin_http_request_seconds_count");
        let sum = value("gongxin_http_request_seconds_sum");
        if count > 0.0 {
            println!(
                "server-side mean for {route}: {:.3} ms",
                sum / count * 1000.0
            );
        }
    }
    let _ = stop.send(());
    runtime.block_on(server)??;
    Ok(ExitCode::SUCCESS)
}

/// Generates and imports the data set unless the directory already holds one, then builds
/// the search index.
fn prepare(args: &ServeBenchArgs, data: &DataArgs) -> Result<()> {
    let mut store = data.open_store()?;
    if store.counts()?.records >= args.records as u64 * 9 / 10 {
        return Ok(());
    }
    if store.counts()?.records > 0 {
        bail!(
            "{} holds a different data set; use an empty directory",
            data.data_dir.display()
        );
    }
    let catalog = data.rules.catalog()?;
    let whitelist = data.rules.whitelist()?;
    let personal_key = data.personal_key()?;
    let options = GenerateOptions {
        subjects: args.subjects,
        records: args.records,
        seed: 3,
        items: Vec::new(),
        bad_per_mille: 0,
    };
    let files = generate_with_progress(&catalog, &options, &args.dir.join("input"))?;
    for file in &files {
        let item = catalog.item(&file.item).context("generated item")?;
        let started = Instant::now();
        let report = import_files(
            &mut *store,
            &[file.path.as_path()],
            &import_options(item, &catalog, &whitelist, &personal_key),
            &now_us,
            &mut Silent,
        )?;
        eprintln!(
            "imported {}: {} rows in {:.1} s",
            item.id,
            report.rows,
            started.elapsed().as_secs_f64()
        );
    }
    let platform = data.platform()?;
    let bar = progress::bar(Some(store.counts()?.subjects), "索引 / indexing", false);
    gongxin_server::indexer::rebuild(
        &platform.catalog,
        &*store,
        &platform.search,
        &data.data_dir,
        &mut |done| bar.set_position(done),
    )?;
    bar.finish_and_clear();
    Ok(())
}

/// Subjects at pseudo-random points of the code space (each subject about equally likely,
/// whatever its number of records).
fn sample_uniform(store: &dyn Store, n: usize) -> Result<Vec<String>> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut codes = Vec::with_capacity(n);
    for i in 0..n {
        let mut hasher = DefaultHasher::new();
        i.hash(&mut hasher);
        let random = hasher.finish();
        // Organisation types 1–3 and division codes 110000–659999 span the generated codes.
        let after = format!(
            "9{}{:06}",
            1 + random % 3,
            110_000 + (random >> 8) % 550_000
        );
        if let Some(subject) = store.subjects_after(&after, 1)?.pop() {
            codes.push(subject.code);
        }
    }
    Ok(codes)
}

/// Subjects spread evenly over the event log — so a subject is picked in proportion to its
/// records, as busy subjects are looked up more — and fragments of their names.
fn sample(store: &dyn Store, n: usize) -> Result<(Vec<String>, Vec<String>)> {
    let events = store.counts()?.events;
    let step = (events / n.max(1) as u64).max(1);
    let mut codes = Vec::with_capacity(n);
    let mut fragments = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let Some(event) = store.events_after(i * step, 1)?.pop() else {
            break;
        };
        let Some(subject) = store.subject(&event.subject)? else {
            continue;
        };
        let chars: Vec<char> = subject.name.chars().collect();
        // A fragment from the middle, 2 to 4 characters, as people type part of a name.
        let len = 2 + (i as usize % 3);
        let start = (chars.len().saturating_sub(len)) / 2;
        fragments.push(
            chars[start..(start + len).min(chars.len())]
                .iter()
                .collect(),
        );
        codes.push(subject.code);
    }
    Ok((codes, fragments))
}

/// Latencies of a set of operations.
struct Timings {
    micros: Vec<u64>,
    elapsed: Duration,
}

impl Timings {
    fn new(mut micros: Vec<u64>, elapsed: Duration) -> Self {
        micros.sort_unstable();
        Self { micros, elapsed }
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return 0.0;
        }
        let index = ((self.micros.len() as f64 * p).ceil() as usize).clamp(1, self.micros.len());
        self.micros[index - 1] as f64 / 1000.0
    }

    fn per_second(&self) -> f64 {
        self.micros.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn latency_row(&self, what: &str) -> String {
        format!(
            "| {what} | {} | {:.3} ms | {:.3} ms |",
            self.micros.len(),
            self.percentile(0.5),
            self.percentile(0.99)
        )
    }

    fn load_row(&self, what: &str) -> String {
        format!(
            "| {what} | {} | {:.0} | {:.2} ms | {:.2} ms |",
            self.micros.len(),
            self.per_second(),
            self.percentile(0.5),
            self.percentile(0.99)
        )
    }
}

/// Times `work` on every other input after running it on the rest: the code paths are warm,
/// but each timed lookup meets its own data for the first time — as a lookup of a random one
/// of a million subjects does — rather than the pages an identical earlier run left cached.
fn time_each<T>(inputs: &[T], mut work: impl FnMut(&T) -> Result<()>) -> Result<Timings> {
    for input in inputs.iter().step_by(2) {
        work(input)?;
    }
    let started = Instant::now();
    let mut micros = Vec::with_capacity(inputs.len() / 2);
    for input in inputs.iter().skip(1).step_by(2) {
        let t = Instant::now();
        work(input)?;
        micros.push(t.elapsed().as_micros() as u64);
    }
    Ok(Timings::new(micros, started.elapsed()))
}

/// `concurrency` clients, each on one keep-alive HTTP/1.1 connection to `address`,
/// requesting `paths` round-robin for `duration`, with `key` if given; every answer must be
/// 200, so that errors cannot pass for speed.
///
/// The clients share the cores with the server, so they must cost as little as `wrk` does,
/// or the trivial endpoint measures the clients: each request is written out once, and each
/// answer read by its `Content-Length` into a buffer the client keeps. As `wrk`, they take no
/// compressed answers, so that the server does any decompressing.
fn load(
    address: SocketAddr,
    paths: &[String],
    key: Option<&str>,
    concurrency: usize,
    duration: Duration,
) -> Result<Timings> {
    let authorization = key.map_or(String::new(), |key| {
        format!("Authorization: Bearer {key}\r\n")
    });
    let requests: Vec<Vec<u8>> = paths
        .iter()
        .map(|path| {
            format!(
                "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept-Encoding: identity\r\n\
                 {authorization}\r\n"
            )
            .into_bytes()
        })
        .collect();
    let requests = &requests;
    let started = Instant::now();
    let results: Vec<Result<Vec<u64>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..concurrency)
            .map(|client| {
                scope.spawn(move || -> Result<Vec<u64>> {
                    let mut stream = TcpStream::connect(address)?;
                    stream.set_nodelay(true)?;
                    let mut answer = Vec::with_capacity(64 << 10);
                    let mut micros = Vec::new();
                    let mut i = client;
                    while started.elapsed() < duration {
                        let which = i % requests.len();
                        i += concurrency;
                        let t = Instant::now();
                        stream.write_all(&requests[which])?;
                        let status = read_answer(&mut stream, &mut answer)
                            .with_context(|| format!("GET {}", paths[which]))?;
                        if status != 200 {
                            bail!("GET {} answered {status}", paths[which]);
                        }
                        micros.push(t.elapsed().as_micros() as u64);
                    }
                    Ok(micros)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("client thread"))
            .collect()
    });
    let elapsed = started.elapsed();
    let mut all = Vec::new();
    for result in results {
        all.extend(result?);
    }
    Ok(Timings::new(all, elapsed))
}

/// Reads one HTTP/1.1 answer from `stream` into `buffer`, returning its status. The answer
/// must give its length (the server's do); one request is outstanding at a time, so nothing
/// of a next answer follows it.
fn read_answer(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<u16> {
    buffer.clear();
    let mut chunk = [0u8; 16 << 10];
    let header_end = loop {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            bail!("the server closed the connection");
        }
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = std::str::from_utf8(&buffer[..header_end]).context("the answer's head")?;
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .context("no status in the answer")?;
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .context("the answer gives no Content-Length")?;
    let total = header_end + length;
    while buffer.len() < total {
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            bail!("the server closed the connection mid-answer");
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    Ok(status)
}

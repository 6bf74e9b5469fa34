use super::*;

/// A reader that hands out `step` bytes at a time, to put chunk boundaries everywhere.
struct Trickle<'a> {
    rest: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

fn parse(json: &str) -> Result<Vec<Torrent>, ListError> {
    parse_torrent_list(json.as_bytes())
}

#[test]
fn the_list_is_cut_into_objects_whatever_the_chunking() {
    let json = r#" [ {"hash":"A1","name":"brace } and [ bracket in \"a name\"","tags":"x"},
        {"hash":"b2","trackers":[{"url":"u"}],"nested":{"a":[1,{"b":"}]"}]}}, {"hash":"c3"} ] "#;
    for step in [1, 2, 3, 7, 64, usize::MAX] {
        let list = parse_torrent_list(Trickle {
            rest: json.as_bytes(),
            step,
        })
        .unwrap();
        let hashes: Vec<&str> = list.iter().map(|t| t.hash.as_str()).collect();
        assert_eq!(hashes, ["a1", "b2", "c3"], "step {step}");
        assert_eq!(list[0].name, "brace } and [ bracket in \"a name\"");
    }
    assert!(parse("[]").unwrap().is_empty());
    assert!(parse(" [ ] \n").unwrap().is_empty());
}

#[test]
fn the_fields_the_rules_use_are_read_and_unknown_states_kept_unknown() {
    let json = r#"[{"hash":"ABCDEF","name":"x","category":"radarr","state":"stoppedDL","tags":"t1, t2",
        "progress":0.5,"amount_left":10,"size":20,"added_on":1,"completion_on":-1,"last_activity":3,
        "eta":8640000,"ratio":0.1,"seeding_time":0,"content_path":"/d/x","save_path":"/d",
        "max_ratio":2.5,"max_seeding_time":1440,"ratio_limit":2.5,"seeding_time_limit":-2,
        "magnet_uri":"magnet:?xt=urn:btih:abc","popularity":1.5,"private":null,"seq_dl":false},
        {"hash":"00","state":"someFutureState"}]"#;
    let list = parse(json).unwrap();
    assert_eq!(list.len(), 2);
    let t = &list[0];
    assert_eq!(
        (t.hash.as_str(), t.name.as_str(), t.category.as_str()),
        ("abcdef", "x", "radarr")
    );
    assert_eq!(t.state, TorrentState::StoppedDl);
    assert_eq!(t.tags, vec!["t1", "t2"]);
    assert_eq!((t.progress, t.ratio), (0.5, 0.1));
    assert_eq!(
        (
            t.amount_left,
            t.size,
            t.added_on,
            t.completion_on,
            t.last_activity
        ),
        (10, 20, 1, -1, 3)
    );
    assert_eq!((t.eta, t.seeding_time), (8_640_000, 0));
    assert_eq!((t.content_path.as_str(), t.save_path.as_str()), ("/d/x", "/d"));
    assert_eq!((t.max_ratio, t.max_seeding_minutes), (2.5, 1440));
    assert_eq!(t.completed_at(), None);
    assert_eq!(list[1].state, TorrentState::Unknown);
    assert_eq!(
        (list[1].max_ratio, list[1].max_seeding_minutes),
        (-1.0, -1),
        "no limit when qBittorrent does not say"
    );
}

#[test]
fn a_reused_torrent_carries_nothing_over_from_the_previous_object() {
    let json = r#"[{"hash":"a","name":"first","category":"radarr","state":"uploading","tags":"x, y",
        "progress":1,"amount_left":5,"size":9,"added_on":1,"completion_on":2,"last_activity":3,
        "eta":4,"ratio":2.5,"seeding_time":6,"content_path":"/c","save_path":"/s"},
        {"hash":"b"}]"#;
    let mut seen = Vec::new();
    parse_torrents_each(json.as_bytes(), |t| seen.push(t.clone())).unwrap();
    let bare = Torrent {
        hash: "b".into(),
        ..Torrent::default()
    };
    assert_eq!(seen[1], bare);
    assert_eq!(seen[0].tags, vec!["x", "y"]);
}

#[test]
fn tags_split_on_comma_and_are_trimmed() {
    let mut tags = vec!["old".to_string(), "older".into(), "oldest".into()];
    fill_tags(&mut tags, "qBitrr-imported, a,b ,, ");
    assert_eq!(tags, vec!["qBitrr-imported", "a", "b"]);
    fill_tags(&mut tags, "");
    assert!(tags.is_empty());
}

#[test]
fn escapes_and_non_ascii_text_are_decoded() {
    let json = r#"[{"hash":"a","name":"Am\u00e9lie \"2001\" \\ \/ \t\n \ud83c\udfac caf\u00E9 Ω 映画",
        "content_path":"C:\\dl\\x","n\u0061me2":"skipped \" \\","tags":"t\u0031, t2"}]"#;
    let t = &parse(json).unwrap()[0];
    assert_eq!(t.name, "Amélie \"2001\" \\ / \t\n 🎬 café Ω 映画");
    assert_eq!(t.content_path, "C:\\dl\\x");
    assert_eq!(t.tags, vec!["t1", "t2"]);
    // An escaped key is still the key.
    let t = &parse(r#"[{"h\u0061sh":"AB","st\u0061te":"stalledDL"}]"#).unwrap()[0];
    assert_eq!((t.hash.as_str(), t.state), ("ab", TorrentState::StalledDl));
}

#[test]
fn more_is_tolerated_than_serde_json_would() {
    let json =
        r#"[{"hash":"a","name":null,"eta":1.9e3,"size":null,"progress":null,"content_path":"x\ud800y"}]"#;
    // Byte by byte too: a `null` or a number cut by a chunk boundary is read whole.
    for step in [1, 2, 3, usize::MAX] {
        let list = parse_torrent_list(Trickle {
            rest: json.as_bytes(),
            step,
        })
        .unwrap();
        let t = &list[0];
        assert_eq!(t.name, "");
        assert_eq!(t.eta, 1900);
        assert_eq!((t.size, t.progress), (0, 0.0));
        assert_eq!(t.content_path, "x\u{fffd}y");
    }
    // An integer too big for i64 is read as a float and saturates.
    assert_eq!(
        parse(r#"[{"hash":"a","size":99999999999999999999}]"#).unwrap()[0].size,
        i64::MAX
    );
}

#[test]
fn what_is_not_a_torrent_list_is_an_error_naming_the_byte() {
    let cases: &[(&str, &str)] = &[
        ("[{\"hash\":\"a\"}", "ended before its closing bracket"),
        ("{\"hash\":\"a\"}", "expected a JSON array"),
        ("<html>", "expected a JSON array"),
        ("[{\"name\":\"no hash\"}]", "without a hash"),
        ("[{\"hash\":\"a\"}, 5]", "expected a torrent object"),
        ("[[1]]", "expected a torrent object"),
        ("[{\"hash\":\"a\"}] x", "text after the list"),
        ("[{\"hash\":\"a\" \"name\":\"b\"}]", "expected ',' or '}'"),
        ("[{\"hash\":\"a\",\"size\":\"big\"}]", "expected a number"),
        ("[{\"hash\":\"a\",\"size\":-}]", "not a number"),
        ("[{\"hash\":\"a\",\"name\":5}]", "expected a string"),
        ("[{\"hash\":\"a\",\"name\":\"\\x\"}]", "invalid escape"),
        ("[{\"hash\":\"a\",\"name\":\"\\u12\"}]", "bad \\u escape"),
        ("[{\"hash\":\"a\",\"other\":}]", "expected a value"),
        ("[{\"hash\" \"a\"}]", "expected ':'"),
    ];
    for (json, expected) in cases {
        let err = parse(json).expect_err(json).to_string();
        assert!(err.contains(expected), "{json}: {err}");
    }
    let err = parse("[{\"hash\":\"a\"},\n {\"hash\":\"b\",\"size\":\"big\"}]").unwrap_err();
    assert_eq!(
        err,
        ListError::Syntax {
            at: 35,
            what: "expected a number".into()
        }
    );
    // Invalid UTF-8 in a field that is read is an error; in a skipped one it is not looked at.
    let mut bad = b"[{\"hash\":\"a\",\"name\":\"\xff\"}]".to_vec();
    assert!(parse_torrent_list(bad.as_slice()).is_err());
    bad[14..18].copy_from_slice(b"xxxx");
    assert!(parse_torrent_list(bad.as_slice()).is_ok());
}

#[test]
fn a_failing_reader_is_an_io_error() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("connection reset"))
        }
    }
    assert!(matches!(parse_torrent_list(Broken), Err(ListError::Io(e)) if e.contains("connection reset")));
}

/// serde_json's reading of the same fields: the reference the scanner is held to.
#[derive(serde::Deserialize)]
struct Oracle {
    hash: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    progress: f64,
    #[serde(default)]
    amount_left: i64,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    added_on: i64,
    #[serde(default)]
    completion_on: i64,
    #[serde(default)]
    last_activity: i64,
    #[serde(default)]
    eta: i64,
    #[serde(default)]
    ratio: f64,
    #[serde(default)]
    seeding_time: i64,
    #[serde(default = "none_f64")]
    max_ratio: f64,
    #[serde(default = "none_i64")]
    max_seeding_time: i64,
    #[serde(default)]
    content_path: String,
    #[serde(default)]
    save_path: String,
    #[serde(default)]
    priority: i64,
    /// Absent: no sign of failing trackers; null or "": none working.
    #[serde(default = "no_tracker_field")]
    tracker: Option<String>,
    #[serde(default)]
    up_limit: i64,
    #[serde(default)]
    dl_limit: i64,
    #[serde(default)]
    super_seeding: bool,
}

fn no_tracker_field() -> Option<String> {
    Some("(absent)".into())
}

fn none_f64() -> f64 {
    -1.0
}

fn none_i64() -> i64 {
    -1
}

impl From<Oracle> for Torrent {
    fn from(o: Oracle) -> Self {
        let mut tags = Vec::new();
        fill_tags(&mut tags, &o.tags);
        Torrent {
            hash: o.hash.to_ascii_lowercase(),
            name: o.name,
            category: o.category,
            state: TorrentState::parse(&o.state),
            tags,
            progress: o.progress,
            amount_left: o.amount_left,
            size: o.size,
            added_on: o.added_on,
            completion_on: o.completion_on,
            last_activity: o.last_activity,
            eta: o.eta,
            ratio: o.ratio,
            seeding_time: o.seeding_time,
            max_ratio: o.max_ratio,
            max_seeding_minutes: o.max_seeding_time,
            content_path: o.content_path,
            queue_position: o.priority,
            save_path: o.save_path,
            tracker_working: o.tracker.as_ref().is_some_and(|t| !t.is_empty()),
            tracker_url: o.tracker.filter(|t| t != "(absent)").unwrap_or_default(),
            tracker_status_unknown: false,
            up_limit: u32::try_from(o.up_limit.max(0)).unwrap_or(u32::MAX),
            dl_limit: u32::try_from(o.dl_limit.max(0)).unwrap_or(u32::MAX),
            super_seeding: o.super_seeding,
        }
    }
}

struct Gen(u64);

impl Gen {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn text(&mut self) -> String {
        const PIECES: &[&str] = &[
            "Movie",
            " ",
            ".",
            "2160p",
            "é",
            "映画",
            "🎬",
            "\\\"",
            "\\\\",
            "\\/",
            "\\n",
            "\\u00e9",
            "\\ud83c\\udfac",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\\t",
            "null",
            "'",
        ];
        (0..self.below(12))
            .map(|_| PIECES[self.below(PIECES.len() as u64) as usize])
            .collect()
    }

    fn number(&mut self) -> String {
        match self.below(6) {
            0 => "0".into(),
            1 => format!("-{}", self.below(1 << 40)),
            2 => format!("{}", self.below(u64::MAX >> 2)),
            3 => format!("{}.{}", self.below(100), self.below(1000)),
            4 => format!("{}e{}", self.below(10), self.below(5)),
            _ => format!("{}", self.below(100)),
        }
    }

    fn skipped_value(&mut self, depth: u32) -> String {
        match self.below(if depth > 2 { 5 } else { 7 }) {
            0 => format!("\"{}\"", self.text()),
            1 => self.number(),
            2 => "true".into(),
            3 => "false".into(),
            4 => "null".into(),
            5 => {
                let items: Vec<String> = (0..self.below(4))
                    .map(|_| self.skipped_value(depth + 1))
                    .collect();
                format!("[{}]", items.join(","))
            }
            _ => {
                let items: Vec<String> = (0..self.below(4))
                    .map(|i| format!("\"k{i}{}\": {}", self.text(), self.skipped_value(depth + 1)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
        }
    }

    fn object(&mut self) -> String {
        const STRINGS: &[&str] = &["name", "category", "tags", "content_path", "save_path"];
        const INTS: &[&str] = &[
            "amount_left",
            "size",
            "added_on",
            "completion_on",
            "last_activity",
            "eta",
            "seeding_time",
            "max_seeding_time",
            "priority",
        ];
        const STATES: &[&str] = &["uploading", "stalledDL", "pausedUP", "stoppedDL", "metaDL", "new"];
        let mut fields = vec![format!("\"hash\":\"{:X}\"", self.below(u64::MAX))];
        for key in STRINGS {
            if self.below(4) > 0 {
                fields.push(format!("\"{key}\":\"{}\"", self.text()));
            }
        }
        for key in INTS {
            if self.below(4) > 0 {
                let n = self.below(1 << 50) as i64 - (1 << 49);
                fields.push(format!("\"{key}\":{n}"));
            }
        }
        for key in ["progress", "ratio", "max_ratio"] {
            if self.below(4) > 0 {
                fields.push(format!("\"{key}\":{}", self.number()));
            }
        }
        if self.below(4) > 0 {
            let state = STATES[self.below(STATES.len() as u64) as usize];
            fields.push(format!("\"state\":\"{state}\""));
        }
        for i in 0..self.below(8) {
            fields.push(format!("\"x{i}_{}\":{}", self.text(), self.skipped_value(0)));
        }
        // Shuffle the field order.
        for i in (1..fields.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            fields.swap(i, j);
        }
        let ws = [" ", "", "\n  ", "\t"][self.below(4) as usize];
        format!("{{{ws}{}{ws}}}", fields.join(&format!(",{ws}")))
    }
}

#[test]
fn the_scanner_reads_what_serde_json_reads() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for round in 0..300 {
        let objects: Vec<String> = (0..g.below(20)).map(|_| g.object()).collect();
        let json = format!("[{}]", objects.join(", "));
        let expected: Vec<Torrent> = serde_json::from_str::<Vec<Oracle>>(&json)
            .unwrap_or_else(|e| panic!("round {round}: the generator made invalid JSON ({e}): {json}"))
            .into_iter()
            .map(Torrent::from)
            .collect();
        let step = 1 + g.below(200) as usize;
        let got = parse_torrent_list(Trickle {
            rest: json.as_bytes(),
            step,
        })
        .unwrap_or_else(|e| panic!("round {round}: {e}: {json}"));
        assert_eq!(got, expected, "round {round}: {json}");
    }
}

//! Every reader of outside input on random and mutated inputs: never a panic, always an error that names its
//! place (the file, and the line, position or key where the format says so), and no allocation sized by an
//! unchecked number from the file. The inputs found by `scripts/fuzz.sh` that once failed are kept in
//! tests/fuzz_regressions and replayed here.

use std::path::Path;

use polyact::model::data::{npy_bytes, parse_csv, parse_npy};
use polyact::model::stats::SufficientStatistics;
use polyact::model::synthetic::{SyntheticSpec, generate};
use polyact::model::{Loss, Problem};
use polyact::pop::file::pop_from_json;
use polyact::pop::parse::parse_polynomial;
use polyact::relax::certificate::Certificate;
use polyact::sdp::sdpa;
use proptest::prelude::*;

const SDPA: &str = "\"a small SDP\"\n2 =mDIM\n2 =nBLOCK\n2 -2 =bLOCKsTRUCT\n1.0 2.0\n\
0 1 1 1 1.0\n0 1 2 2 1.0\n1 1 1 2 1.0\n2 2 1 1 1.0\n2 2 2 2 -1.5\n";
const POP: &str = r#"{"objective": "(1/3)*x1^6 - 2.1*x1^4 + 4*x1^2 + x1*x2 - 4*x2^2 + 4*x2^4",
 "inequalities": ["9 - x1^2", "4 - x2^2"], "equalities": ["x1 - x2/2"], "radius": 5}"#;
const EXPR: &str = "-(x1 - 1)^2/4 + 2.5e-1*x2 + 2(x3+1)x1 - 1E3*x2^3";

fn problem_json() -> String {
    generate(&SyntheticSpec {
        degrees: vec![2],
        widths: vec![2, 2, 1],
        samples: 4,
        test_samples: 0,
        noise: 0.01,
        seed: 3,
        biases: false,
    })
    .unwrap()
    .to_json_string()
}

fn stats_json() -> String {
    let p = Problem::from_json_str(&problem_json(), "p.json").unwrap();
    SufficientStatistics::from_problem(&p, Loss::MeanInf)
        .unwrap()
        .to_json()
}

fn certificate_json() -> String {
    r#"{"variables": ["x"], "order": 1, "lower_bound": 0.0,
        "objective": [[[2], 1.0], [[1], 2.0], [[0], 1.0]], "inequalities": [[[[0], 4.0], [[2], -1.0]]],
        "multipliers": [{"constraint": null, "basis": [[0], [1]], "gram": [[1.0, 1.0], [1.0, 1.0]]},
                        {"constraint": 0, "basis": [[0]], "gram": [[0.0]]}]}"#
        .to_string()
}

/// Run every text reader on `text`; each must return (Ok or an error naming its source), never panic.
fn read_all_text(text: &str) {
    if let Err(e) = sdpa::parse(text, "in.dat-s") {
        let m = e.to_string();
        assert!(m.contains("in.dat-s"), "{m}");
    }
    let vars: Vec<String> = ["x1", "x2", "x3"].iter().map(|s| s.to_string()).collect();
    if let Err(e) = parse_polynomial(text, &vars) {
        let m = e.to_string();
        assert!(m.contains("position"), "{m}");
    }
    if let Err(e) = pop_from_json(text, "in.pop.json") {
        let m = e.to_string();
        assert!(m.contains("in.pop.json"), "{m}");
    }
    if let Err(e) = Problem::from_json_str(text, "in.json") {
        assert!(!e.to_string().is_empty());
    }
    if let Err(e) = SufficientStatistics::from_json_str(text, "in.stats.json") {
        assert!(!e.to_string().is_empty());
    }
    match Certificate::from_json(text, "in.cert.json") {
        Ok(c) => {
            // A readable certificate is checked against a problem without panicking.
            let pop = pop_from_json(
                r#"{"variables": ["x"], "objective": "x^2 + 2*x + 1", "inequalities": ["4 - x^2"]}"#,
                "sq.json",
            )
            .unwrap()
            .pop;
            let _ = c.verify(&pop, 1e-6);
        }
        Err(e) => assert!(e.to_string().contains("in.cert.json")),
    }
    if let Err(e) = parse_csv(text, Path::new("in.csv")) {
        let m = e.to_string();
        assert!(m.contains("in.csv"), "{m}");
    }
}

fn read_npy(bytes: &[u8]) {
    if let Err(e) = parse_npy(bytes, Path::new("in.npy")) {
        assert!(e.to_string().contains("in.npy"));
    }
}

/// A mutation of `base`: bytes replaced, deleted, duplicated, or a number swapped for an extreme one.
fn mutate(base: &str, ops: &[(u8, usize, u8)]) -> String {
    let mut b = base.as_bytes().to_vec();
    for &(op, at, byte) in ops {
        if b.is_empty() {
            break;
        }
        let i = at % b.len();
        match op % 6 {
            0 => b[i] = byte,
            1 => {
                b.remove(i);
            }
            2 => b.insert(i, byte),
            3 => {
                let tail = b[i..].to_vec();
                b.truncate(i);
                b.extend_from_slice(&tail[..tail.len() / 2]);
            }
            4 => {
                for (k, c) in b"1000000000000".iter().enumerate() {
                    b.insert(i + k, *c);
                }
            }
            _ => {
                for (k, c) in b"-1e308".iter().enumerate() {
                    b.insert(i + k, *c);
                }
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

fn ops() -> impl Strategy<Value = Vec<(u8, usize, u8)>> {
    prop::collection::vec((any::<u8>(), any::<usize>(), any::<u8>()), 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        read_all_text(&text);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        read_npy(&bytes);
        read_all_text(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_inputs_never_panic(ops in ops()) {
        for base in [SDPA, POP, EXPR] {
            read_all_text(&mutate(base, &ops));
        }
        read_all_text(&mutate(&certificate_json(), &ops));
        read_all_text(&mutate("a,b\n1,2\n3.5,-4e2\n", &ops));
    }

    #[test]
    fn mutated_npy_never_panics(ops in ops()) {
        let good = npy_bytes(&[vec![1.0, 2.0], vec![3.0, 4.0]]);
        let mut b = good.clone();
        for &(op, at, byte) in &ops {
            let i = at % b.len();
            match op % 3 {
                0 => b[i] = byte,
                1 => { b.remove(i); }
                _ => b.insert(i, byte),
            }
            if b.is_empty() { break; }
        }
        read_npy(&b);
    }
}

#[test]
fn valid_examples_parse() {
    assert!(sdpa::parse(SDPA, "s.dat-s").is_ok());
    assert!(pop_from_json(POP, "p.json").is_ok());
    assert!(Problem::from_json_str(&problem_json(), "p.json").is_ok());
    assert!(SufficientStatistics::from_json_str(&stats_json(), "s.json").is_ok());
    assert!(Certificate::from_json(&certificate_json(), "c.json").is_ok());
    let rows = parse_npy(&npy_bytes(&[vec![1.0, 2.0]]), Path::new("a.npy")).unwrap();
    assert_eq!(rows, vec![vec![1.0, 2.0]]);
}

#[test]
fn mutated_problem_and_statistics_files_never_panic() {
    // A fixed sweep of mutations over the (longer) problem and statistics files.
    let (p, s) = (problem_json(), stats_json());
    let mut seed = 7u64;
    for _ in 0..300 {
        let mut ops = vec![];
        for _ in 0..3 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ops.push(((seed >> 56) as u8, (seed >> 8) as usize, (seed >> 40) as u8));
        }
        read_all_text(&mutate(&p, &ops));
        read_all_text(&mutate(&s, &ops));
    }
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    // An SDPA header claiming 10¹² blocks: refused when the block sizes run out.
    let e = sdpa::parse("1\n1000000000000\n2\n1.0\n", "big.dat-s")
        .unwrap_err()
        .to_string();
    assert!(e.contains("big.dat-s") && e.contains("line"), "{e}");
    // 10¹² variables: the objective vector runs out.
    let e = sdpa::parse("1000000000000\n1\n2\n1.0\n", "big.dat-s")
        .unwrap_err()
        .to_string();
    assert!(e.contains("big.dat-s"), "{e}");
    // A block of size 10¹².
    let e = sdpa::parse("1\n1\n1000000000000\n1.0\n", "big.dat-s")
        .unwrap_err()
        .to_string();
    assert!(e.contains("big.dat-s"), "{e}");
    // An NPY header claiming 10¹² rows of 3 columns, or 10¹² rows of none, or a 4 GB header.
    for shape in [
        "(1000000000000, 3)",
        "(1000000000000, 0)",
        "(1000000000000,)",
    ] {
        let header = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(header.len() as u16).to_le_bytes());
        b.extend_from_slice(header.as_bytes());
        b.extend_from_slice(&[0u8; 24]);
        let e = parse_npy(&b, Path::new("big.npy")).unwrap_err().to_string();
        assert!(e.contains("big.npy") && e.contains("shape"), "{shape}: {e}");
    }
    let mut b = b"\x93NUMPY\x02\x00".to_vec();
    b.extend_from_slice(&u32::MAX.to_le_bytes());
    let e = parse_npy(&b, Path::new("big.npy")).unwrap_err().to_string();
    assert!(e.contains("header length"), "{e}");
    // A POP whose expansion would have 10¹⁰ terms.
    let e = pop_from_json(
        r#"{"objective": "(a+b+c+d+e1+f+g+h+i+j+1)^60"}"#,
        "big.json",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("too large") && e.contains("objective"), "{e}");
}

#[test]
fn kept_fuzz_inputs_are_handled() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        read_npy(&bytes);
        read_all_text(&String::from_utf8_lossy(&bytes));
    }
}

//! Property tests (proptest): polynomial arithmetic agrees with evaluation, and the readable syntax
//! round-trips through `Display`.

use polyact::polynomial::{Monomial, Polynomial};
use polyact::pop::parse::parse_polynomial;
use proptest::prelude::*;

const N: usize = 3;

fn polynomial() -> impl Strategy<Value = Polynomial> {
    prop::collection::vec((prop::array::uniform3(0u16..4), -5.0f64..5.0), 0..8).prop_map(|terms| {
        Polynomial::from_terms(N, terms.into_iter().map(|(e, c)| (Monomial(e.to_vec()), c)))
    })
}

fn point() -> impl Strategy<Value = [f64; N]> {
    prop::array::uniform3(-1.5f64..1.5)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #[test]
    fn arithmetic_agrees_with_evaluation(p in polynomial(), q in polynomial(), z in point(), e in 0u32..4) {
        let (pv, qv) = (p.evaluate(&z), q.evaluate(&z));
        prop_assert!(close((&p * &q).evaluate(&z), pv * qv));
        prop_assert!(close((&p + &q).evaluate(&z), pv + qv));
        prop_assert!(close((&p - &q).evaluate(&z), pv - qv));
        prop_assert!(close(p.pow(e).evaluate(&z), pv.powi(e as i32)));
        prop_assert!((&p * &q).degree() <= p.degree() + q.degree());
    }

    #[test]
    fn display_round_trips_through_the_parser(p in polynomial()) {
        let names: Vec<String> = (1..=N).map(|i| format!("z{i}")).collect();
        let q = parse_polynomial(&p.to_string(), &names).unwrap();
        let d = &p - &q;
        prop_assert!(d.max_abs_coefficient() <= 1e-12 * (1.0 + p.max_abs_coefficient()), "{} vs {}", p, q);
    }
}

//! The hierarchy's interrupt flag: set before the run, or by another party during a solve, it ends the run with
//! `Error::Interrupted` (no panic, no partial answer); unset, the run is unchanged.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use polyact::Error;
use polyact::fit::{FitSettings, fit};
use polyact::model::example_3_4;
use polyact::relax::events::Event;
use polyact::relax::hierarchy::HierarchySettings;

fn settings(flag: &Arc<AtomicBool>) -> FitSettings {
    FitSettings {
        hierarchy: HierarchySettings {
            interrupt: Some(flag.clone()),
            ..HierarchySettings::default()
        },
        ..FitSettings::default()
    }
}

#[test]
fn a_flag_set_before_the_run_interrupts_it() {
    let flag = Arc::new(AtomicBool::new(true));
    let e = fit(&example_3_4(), &settings(&flag), &mut |_| {}).unwrap_err();
    assert!(matches!(e, Error::Interrupted), "{e}");
}

#[test]
fn a_flag_set_during_a_solve_stops_it_at_the_next_iteration() {
    let flag = Arc::new(AtomicBool::new(false));
    let iterations = AtomicUsize::new(0);
    let e = fit(&example_3_4(), &settings(&flag), &mut |ev| {
        if let Event::Iteration { info, .. } = ev {
            iterations.fetch_add(1, Ordering::Relaxed);
            if info.iteration == 2 {
                flag.store(true, Ordering::Relaxed);
            }
        }
    })
    .unwrap_err();
    assert!(matches!(e, Error::Interrupted), "{e}");
    // Iterates 0, 1, 2 were shown; the solve stopped at the one that set the flag.
    assert_eq!(iterations.load(Ordering::Relaxed), 3);
}

#[test]
fn an_unset_flag_changes_nothing() {
    let flag = Arc::new(AtomicBool::new(false));
    let with = fit(&example_3_4(), &settings(&flag), &mut |_| {}).unwrap();
    let without = fit(&example_3_4(), &FitSettings::default(), &mut |_| {}).unwrap();
    assert_eq!(with.status, without.status);
    assert_eq!(with.lower_bound, without.lower_bound);
    assert_eq!(with.coefficients, without.coefficients);
}

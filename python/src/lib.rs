//! `polyact._polyact`: the Python extension module, a thin layer over the Rust library.
//!
//! Arrays arrive as float64 numpy arrays (the Python wrapper in `polyact/__init__.py` converts other dtypes
//! and layouts); every check of shapes and values is the library's own, so Python gets the CLI's messages as
//! `ValueError`. Reports cross the boundary as the library's JSON, which the wrapper turns into a result
//! object: one description of every field, the Rust report type.

use numpy::PyReadonlyArray2;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;

use polyact::fit::{DEFAULT_RADIUS, FitSettings};
use polyact::model::stats::SufficientStatistics;
use polyact::model::{Dataset, Loss, Network, Problem};
use polyact::relax::hierarchy::{DEFAULT_TIME_LIMIT, HierarchySettings};

/// The library's error as a Python exception: file errors as `OSError`, everything else as `ValueError`.
fn to_py(e: polyact::Error) -> PyErr {
    match e {
        polyact::Error::Io { .. } => PyOSError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// Rows of a 2-D array.
fn rows(a: &PyReadonlyArray2<'_, f64>) -> Vec<Vec<f64>> {
    let v = a.as_array();
    v.outer_iter().map(|r| r.to_vec()).collect()
}

/// The samples (X, Y) as a dataset (shapes are checked by the library).
fn dataset(inputs: &PyReadonlyArray2<'_, f64>, outputs: &PyReadonlyArray2<'_, f64>) -> Dataset {
    Dataset {
        inputs: rows(inputs),
        outputs: rows(outputs),
    }
}

/// Build the settings of a fit from the keyword arguments of `polyact.fit`.
fn settings(
    loss: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    radius: Option<f64>,
    time_limit: Option<f64>,
) -> PyResult<FitSettings> {
    let loss: Loss = loss.parse().map_err(to_py)?;
    if let Some(t) = time_limit
        && (t.is_nan() || t < 0.0)
    {
        return Err(PyValueError::new_err(format!(
            "time_limit must be a nonnegative number of seconds (or None), got {t}"
        )));
    }
    if let Some(r) = radius
        && !(r.is_finite() && r > 0.0)
    {
        return Err(PyValueError::new_err(format!(
            "radius must be a positive number, got {r}"
        )));
    }
    if let (Some(lo), Some(hi)) = (order, max_order)
        && hi < lo
    {
        return Err(PyValueError::new_err(format!(
            "max_order ({hi}) is below order ({lo})"
        )));
    }
    Ok(FitSettings {
        loss,
        radius,
        hierarchy: HierarchySettings {
            min_order: order,
            max_order,
            time_limit,
            ..HierarchySettings::default()
        },
        ..FitSettings::default()
    })
}

/// Fit the activation coefficients globally; returns the report as JSON (see `polyact.fit`).
#[pyfunction]
#[pyo3(signature = (weights, degrees, inputs, outputs, loss="mean-inf", order=None, max_order=None, radius=Some(DEFAULT_RADIUS), true_coefficients=None, time_limit=Some(DEFAULT_TIME_LIMIT), biases=None))]
#[allow(clippy::too_many_arguments)]
fn fit_json(
    py: Python<'_>,
    weights: Vec<PyReadonlyArray2<'_, f64>>,
    degrees: Vec<usize>,
    inputs: PyReadonlyArray2<'_, f64>,
    outputs: PyReadonlyArray2<'_, f64>,
    loss: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    radius: Option<f64>,
    true_coefficients: Option<Vec<Vec<f64>>>,
    time_limit: Option<f64>,
    biases: Option<Vec<Vec<f64>>>,
) -> PyResult<String> {
    let settings = settings(loss, order, max_order, radius, time_limit)?;
    let network = network(&weights, degrees, biases)?;
    let data = dataset(&inputs, &outputs);
    let problem = Problem::new(network, data, true_coefficients, None).map_err(to_py)?;
    let report = py
        .detach(|| polyact::fit::fit(&problem, &settings, &mut |_| {}))
        .map_err(to_py)?;
    Ok(report.to_json())
}

/// Fit the problem in a problem file (the CLI's `polyact fit FILE`); returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (path, loss="mean-inf", order=None, max_order=None, radius=Some(DEFAULT_RADIUS), time_limit=Some(DEFAULT_TIME_LIMIT)))]
fn fit_file_json(
    py: Python<'_>,
    path: &str,
    loss: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    radius: Option<f64>,
    time_limit: Option<f64>,
) -> PyResult<String> {
    let settings = settings(loss, order, max_order, radius, time_limit)?;
    let problem = Problem::load(path).map_err(to_py)?;
    let report = py
        .detach(|| polyact::fit::fit(&problem, &settings, &mut |_| {}))
        .map_err(to_py)?;
    Ok(report.to_json())
}

/// Solve a polynomial optimization problem given as POP JSON text; returns the report as JSON.
#[pyfunction]
#[pyo3(signature = (text, order=None, max_order=None))]
fn pop_json(
    py: Python<'_>,
    text: &str,
    order: Option<usize>,
    max_order: Option<usize>,
) -> PyResult<String> {
    let file = polyact::pop::file::pop_from_json(text, "<pop>").map_err(to_py)?;
    let settings = HierarchySettings {
        min_order: order,
        max_order,
        ..HierarchySettings::default()
    };
    let (report, _) = py
        .detach(|| polyact::fit::solve_pop(&file.pop, &settings, &mut |_| {}))
        .map_err(to_py)?;
    Ok(report.to_json())
}

/// The forward pass f(x; c) of a network for every row of `inputs` (coefficients per layer, c_{l,0} first).
#[pyfunction]
#[pyo3(signature = (weights, degrees, coefficients, inputs, biases=None))]
fn forward<'py>(
    py: Python<'py>,
    weights: Vec<PyReadonlyArray2<'_, f64>>,
    degrees: Vec<usize>,
    coefficients: Vec<Vec<f64>>,
    inputs: PyReadonlyArray2<'_, f64>,
    biases: Option<Vec<Vec<f64>>>,
) -> PyResult<Bound<'py, numpy::PyArray2<f64>>> {
    let network = network(&weights, degrees, biases)?;
    polyact::experiments::evaluate::check_coefficients(&network, &coefficients).map_err(to_py)?;
    let x = rows(&inputs);
    if let Some((i, r)) = x
        .iter()
        .enumerate()
        .find(|(_, r)| r.len() != network.input_dim())
    {
        return Err(PyValueError::new_err(format!(
            "inputs row {} has {} entries, the network takes {}",
            i + 1,
            r.len(),
            network.input_dim()
        )));
    }
    let out: Vec<Vec<f64>> = x
        .iter()
        .map(|xi| network.forward(&coefficients, xi))
        .collect();
    numpy::PyArray2::from_vec2(py, &out).map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The network of `weights`, `degrees` and optional `biases` (one vector per weight matrix).
fn network(
    weights: &[PyReadonlyArray2<'_, f64>],
    degrees: Vec<usize>,
    biases: Option<Vec<Vec<f64>>>,
) -> PyResult<Network> {
    let network = Network::new(weights.iter().map(rows).collect(), degrees).map_err(to_py)?;
    match biases {
        None => Ok(network),
        Some(b) => network.with_biases(b).map_err(to_py),
    }
}

/// The sufficient statistics of one shard (X, Y) for a loss, as the JSON of `polyact reduce`.
#[pyfunction]
#[pyo3(signature = (weights, degrees, inputs, outputs, loss, biases=None))]
fn reduce_json(
    py: Python<'_>,
    weights: Vec<PyReadonlyArray2<'_, f64>>,
    degrees: Vec<usize>,
    inputs: PyReadonlyArray2<'_, f64>,
    outputs: PyReadonlyArray2<'_, f64>,
    loss: &str,
    biases: Option<Vec<Vec<f64>>>,
) -> PyResult<String> {
    let loss: Loss = loss.parse().map_err(to_py)?;
    let network = network(&weights, degrees, biases)?;
    let data = dataset(&inputs, &outputs);
    let stats = py
        .detach(|| SufficientStatistics::from_data(&network, &data, loss))
        .map_err(to_py)?;
    Ok(stats.to_json())
}

/// Merge statistics (JSON texts of the same network and loss): sums and counts add.
#[pyfunction]
fn merge_json(parts: Vec<String>) -> PyResult<String> {
    let mut it = parts.iter().enumerate();
    let Some((_, first)) = it.next() else {
        return Err(PyValueError::new_err(
            "merge needs at least one statistics part",
        ));
    };
    let mut merged = SufficientStatistics::from_json_str(first, "part 1").map_err(to_py)?;
    for (i, text) in it {
        let part =
            SufficientStatistics::from_json_str(text, &format!("part {}", i + 1)).map_err(to_py)?;
        merged.merge(&part).map_err(to_py)?;
    }
    Ok(merged.to_json())
}

/// Fit from statistics (JSON of `reduce_json`/`merge_json`) instead of data; returns the report as JSON.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (weights, degrees, statistics, order=None, max_order=None, radius=Some(DEFAULT_RADIUS), true_coefficients=None, time_limit=Some(DEFAULT_TIME_LIMIT), biases=None))]
fn fit_statistics_json(
    py: Python<'_>,
    weights: Vec<PyReadonlyArray2<'_, f64>>,
    degrees: Vec<usize>,
    statistics: &str,
    order: Option<usize>,
    max_order: Option<usize>,
    radius: Option<f64>,
    true_coefficients: Option<Vec<Vec<f64>>>,
    time_limit: Option<f64>,
    biases: Option<Vec<Vec<f64>>>,
) -> PyResult<String> {
    let network = network(&weights, degrees, biases)?;
    let stats = SufficientStatistics::from_json_str(statistics, "statistics").map_err(to_py)?;
    let settings = settings(stats.loss().name(), order, max_order, radius, time_limit)?;
    let report = py
        .detach(|| {
            polyact::fit::fit_statistics(
                &network,
                true_coefficients.as_deref(),
                &stats,
                &settings,
                &mut |_| {},
            )
        })
        .map_err(to_py)?;
    Ok(report.to_json())
}

/// The extension module.
#[pymodule]
fn _polyact(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fit_json, m)?)?;
    m.add_function(wrap_pyfunction!(fit_file_json, m)?)?;
    m.add_function(wrap_pyfunction!(pop_json, m)?)?;
    m.add_function(wrap_pyfunction!(forward, m)?)?;
    m.add_function(wrap_pyfunction!(reduce_json, m)?)?;
    m.add_function(wrap_pyfunction!(merge_json, m)?)?;
    m.add_function(wrap_pyfunction!(fit_statistics_json, m)?)?;
    m.add("DEFAULT_RADIUS", DEFAULT_RADIUS)?;
    m.add("DEFAULT_TIME_LIMIT", DEFAULT_TIME_LIMIT)?;
    Ok(())
}

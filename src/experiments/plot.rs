//! Figures: the paper's Figure 1 (residuals against the sample index), as PNG and SVG.
//!
//! API: [`residual_figure`] draws two panels — top: every output's residual ε_{i,j} = f_j(x_i; c) − y_{i,j}
//! against the sample index i (one colour per output j); bottom: ‖ε_i‖₂ against i — into `<base>.png` and
//! `<base>.svg` ([`figure_paths`] derives both names from the path given). Pure Rust: text is rendered with
//! the DejaVu Sans font embedded in the binary (crate `dejavu`), no system font is looked up.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};

/// Size of the figure in pixels (PNG) or user units (SVG).
pub const FIGURE_SIZE: (u32, u32) = (1100, 850);

static FONT: Once = Once::new();

/// Register the embedded DejaVu Sans as plotters' "sans-serif" family (idempotent).
fn register_font() {
    FONT.call_once(|| {
        // The font is valid TrueType shipped by the `dejavu` crate; registration cannot fail for it.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ = plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold());
    });
}

/// The PNG and SVG paths for a figure: `residuals.png` → (`residuals.png`, `residuals.svg`); any other or no
/// extension is replaced by both.
pub fn figure_paths(path: &Path) -> (PathBuf, PathBuf) {
    (path.with_extension("png"), path.with_extension("svg"))
}

/// What to draw in the residual figure.
#[derive(Clone, Debug)]
pub struct ResidualFigure<'a> {
    /// ε_i = f(x_i; c) − y_i, one row per sample.
    pub residuals: &'a [Vec<f64>],
    /// Title line (e.g. the problem and the data set).
    pub title: String,
}

/// Draw the residual figure into `<base>.png` and `<base>.svg`; returns both paths.
pub fn residual_figure(fig: &ResidualFigure<'_>, path: &Path) -> Result<(PathBuf, PathBuf)> {
    register_font();
    if fig.residuals.is_empty() {
        return Err(Error::InvalidInput("no residuals to plot".into()));
    }
    let (png, svg) = figure_paths(path);
    let err = |p: &Path, e: &dyn std::fmt::Display| {
        Error::InvalidInput(format!("cannot draw {}: {e}", p.display()))
    };
    {
        let root = BitMapBackend::new(&png, FIGURE_SIZE).into_drawing_area();
        draw(&root, fig).map_err(|e| err(&png, &e))?;
        root.present().map_err(|e| err(&png, &e))?;
    }
    {
        let root = SVGBackend::new(&svg, FIGURE_SIZE).into_drawing_area();
        draw(&root, fig).map_err(|e| err(&svg, &e))?;
        root.present().map_err(|e| err(&svg, &e))?;
    }
    Ok((png, svg))
}

type DrawResult<B> =
    std::result::Result<(), DrawingAreaErrorKind<<B as DrawingBackend>::ErrorType>>;

/// Range [lo, hi] padded by 5% (and widened when degenerate).
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    };
    let span = hi - lo;
    let pad = if span > 0.0 {
        0.05 * span
    } else {
        0.5 * lo.abs().max(1e-12)
    };
    (lo - pad, hi + pad)
}

/// A tick label: "0" for values that are zero up to rounding, else two significant digits in scientific form.
fn tick(v: f64, span: f64) -> String {
    if v.abs() <= 1e-9 * span.abs() {
        "0".into()
    } else {
        format!("{v:.1e}")
    }
}

fn draw<B: DrawingBackend>(
    root: &DrawingArea<B, Shift>,
    fig: &ResidualFigure<'_>,
) -> DrawResult<B> {
    root.fill(&WHITE)?;
    let (title_area, body) = root.split_vertically(56);
    title_area.titled(
        &fig.title,
        ("sans-serif", 24).into_font().style(FontStyle::Bold),
    )?;
    let (top, bottom) = body.split_vertically((body.dim_in_pixel().1 as f64 * 0.55) as u32);
    let r = fig.residuals;
    let n = r.len();
    let m = r[0].len();
    let x_range = 0.0..(n as f64 + 1.0);

    // Top panel: ε_{i,j} against i, one colour per output j.
    let (lo, hi) = r
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = padded(lo.min(0.0), hi.max(0.0));
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!(
                "Residuals ε_ij = f_j(x_i; c) − y_ij of all {m} outputs (one colour per output j)"
            ),
            ("sans-serif", 19),
        )
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(96)
        .build_cartesian_2d(x_range.clone(), lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("sample index i")
        .y_desc("residual ε_ij")
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| tick(*v, hi - lo))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(0.0, 0.0), (n as f64 + 1.0, 0.0)],
        BLACK.mix(0.5).stroke_width(1),
    ))?;
    for j in 0..m {
        // Dark, saturated hues spread over the colour wheel (readable on white).
        let colour = HSLColor(0.9 * j as f64 / m.max(1) as f64, 0.85, 0.42).mix(0.85);
        chart.draw_series(
            r.iter()
                .enumerate()
                .map(|(i, ri)| Circle::new(((i + 1) as f64, ri[j]), 3, colour.filled())),
        )?;
    }

    // Bottom panel: ‖ε_i‖₂ against i.
    let norms: Vec<f64> = r
        .iter()
        .map(|ri| ri.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect();
    let top_norm = norms.iter().copied().fold(0.0f64, f64::max);
    let (_, hi) = padded(0.0, top_norm);
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            "Residual norm ‖ε_i‖₂ = ‖f(x_i; c) − y_i‖₂ per sample",
            ("sans-serif", 19),
        )
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(96)
        .build_cartesian_2d(x_range, 0.0..hi)?;
    chart
        .configure_mesh()
        .x_desc("sample index i")
        .y_desc("‖ε_i‖₂")
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| tick(*v, hi))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart.draw_series(LineSeries::new(
        norms.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v)),
        BLUE.stroke_width(1),
    ))?;
    chart.draw_series(
        norms
            .iter()
            .enumerate()
            .map(|(i, &v)| Circle::new(((i + 1) as f64, v), 3, BLUE.filled())),
    )?;
    Ok(())
}

/// Histogram of the final losses of local runs (log₁₀ scale), with the global method's loss and the
/// relaxation's lower bound marked; written to `<base>.png` and `<base>.svg`.
pub fn loss_histogram(
    local_losses: &[f64],
    global_loss: f64,
    lower_bound: Option<f64>,
    title: &str,
    path: &Path,
) -> Result<(PathBuf, PathBuf)> {
    register_font();
    let logs: Vec<f64> = local_losses
        .iter()
        .filter(|v| **v > 0.0 && v.is_finite())
        .map(|v| v.log10())
        .collect();
    if logs.is_empty() {
        return Err(Error::InvalidInput(
            "no positive local losses to plot".into(),
        ));
    }
    let mut marks = vec![("global value", global_loss, RED)];
    if let Some(lb) = lower_bound.filter(|v| *v > 0.0) {
        marks.push(("lower bound", lb, BLUE));
    }
    let all = logs
        .iter()
        .copied()
        .chain(marks.iter().filter(|m| m.1 > 0.0).map(|m| m.1.log10()));
    let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    let (lo, hi) = padded(lo, hi);
    let bins = 24usize;
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in &logs {
        counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
    }
    let cmax = *counts.iter().max().unwrap_or(&1) as f64;
    let (png, svg) = figure_paths(path);
    fn draw_hist<B: DrawingBackend>(
        root: &DrawingArea<B, Shift>,
        title: &str,
        (lo, hi, width, cmax): (f64, f64, f64, f64),
        counts: &[usize],
        marks: &[(&str, f64, RGBColor)],
    ) -> DrawResult<B> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 22).into_font().style(FontStyle::Bold))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(64)
            .build_cartesian_2d(lo..hi, 0.0..cmax * 1.15)?;
        chart
            .configure_mesh()
            .x_desc("log10(final loss of a local run)")
            .y_desc("number of runs")
            .axis_desc_style(("sans-serif", 18))
            .label_style(("sans-serif", 15))
            .draw()?;
        chart.draw_series(counts.iter().enumerate().map(|(i, &c)| {
            let x0 = lo + i as f64 * width;
            Rectangle::new([(x0, 0.0), (x0 + width, c as f64)], GREEN.mix(0.6).filled())
        }))?;
        for (label, v, color) in marks {
            if *v > 0.0 {
                let x = v.log10();
                chart
                    .draw_series(LineSeries::new(
                        vec![(x, 0.0), (x, cmax * 1.1)],
                        color.stroke_width(3),
                    ))?
                    .label(format!("{label} {v:.4e}"))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                    });
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;
        Ok(())
    }
    let err = |p: &Path, e: &dyn std::fmt::Display| {
        Error::InvalidInput(format!("cannot draw {}: {e}", p.display()))
    };
    let geom = (lo, hi, width, cmax);
    {
        let root = BitMapBackend::new(&png, (900, 560)).into_drawing_area();
        draw_hist(&root, title, geom, &counts, &marks).map_err(|e| err(&png, &e))?;
        root.present().map_err(|e| err(&png, &e))?;
    }
    {
        let root = SVGBackend::new(&svg, (900, 560)).into_drawing_area();
        draw_hist(&root, title, geom, &counts, &marks).map_err(|e| err(&svg, &e))?;
        root.present().map_err(|e| err(&svg, &e))?;
    }
    Ok((png, svg))
}

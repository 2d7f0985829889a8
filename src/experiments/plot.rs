//! Figures: the paper's Figure 1 (residuals against the sample index), as PNG and SVG.
//!
//! API: [`residual_figure`] draws two panels — top: every output's residual ε = f(x; c) − y against the
//! sample index i (one colour per output; the test samples, when given, follow the training samples with
//! hollow markers); bottom: the residual norm per sample — into `<base>.png` and `<base>.svg`
//! ([`figure_paths`] derives both names from the path given). [`loss_histogram`] draws the final losses of
//! local runs with the global value and the lower bound marked. Pure Rust: text is rendered with the DejaVu
//! Sans font embedded in the binary (crate `dejavu`), no system font is looked up. Titles in the PNG are laid
//! out glyph by glyph here (plotters' bitmap text drops each glyph's side bearing, which spaces out letters
//! such as `j`).

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
    /// Training residuals ε_i = f(x_i; c) − y_i, one row per sample.
    pub residuals: &'a [Vec<f64>],
    /// Test residuals, drawn after the training samples (hollow markers), when the problem has a test set.
    pub test_residuals: Option<&'a [Vec<f64>]>,
    /// Title lines (e.g. the problem, then the network and the errors).
    pub title: Vec<String>,
}

/// A line of text centred at (`cx`, `y`) (top). In a bitmap (`per_glyph`) each glyph is placed at its pen
/// position plus its left side bearing, from DejaVu Sans' metrics.
fn centred_text<B: DrawingBackend>(
    area: &DrawingArea<B, Shift>,
    text: &str,
    (cx, y): (i32, i32),
    size: f64,
    bold: bool,
    per_glyph: bool,
) -> DrawResult<B> {
    use ab_glyph::{Font, ScaleFont};
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    let font = ("sans-serif", size).into_font().style(style);
    let data = if bold {
        dejavu::sans::bold()
    } else {
        dejavu::sans::regular()
    };
    let metrics = ab_glyph::FontRef::try_from_slice(data).ok();
    match metrics {
        Some(f) if per_glyph => {
            let scaled = f.as_scaled(size as f32);
            let mut placed = vec![];
            let mut pen = 0f32;
            let mut prev = None;
            for c in text.chars() {
                let id = scaled.glyph_id(c);
                if let Some(p) = prev {
                    pen += scaled.kern(p, id);
                }
                let bearing = scaled
                    .outline_glyph(scaled.scaled_glyph(c))
                    .map_or(0.0, |g| g.px_bounds().min.x);
                placed.push((c, pen + bearing));
                pen += scaled.h_advance(id);
                prev = Some(id);
            }
            let left = cx - (pen / 2.0) as i32;
            for (c, x) in placed {
                if !c.is_whitespace() {
                    area.draw(&Text::new(
                        c.to_string(),
                        (left + x.round() as i32, y),
                        font.clone().color(&BLACK),
                    ))?;
                }
            }
            Ok(())
        }
        _ => {
            let w = area
                .estimate_text_size(text, &font.clone().into_text_style(area))?
                .0 as i32;
            area.draw(&Text::new(
                text.to_string(),
                (cx - w / 2, y),
                font.color(&BLACK),
            ))
        }
    }
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
        draw(&root, fig, true).map_err(|e| err(&png, &e))?;
        root.present().map_err(|e| err(&png, &e))?;
    }
    {
        let root = SVGBackend::new(&svg, FIGURE_SIZE).into_drawing_area();
        draw(&root, fig, false).map_err(|e| err(&svg, &e))?;
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
    per_glyph: bool,
) -> DrawResult<B> {
    root.fill(&WHITE)?;
    let line_height: u32 = 30;
    let (title_area, body) = root.split_vertically(16 + line_height * fig.title.len() as u32);
    let cx = title_area.dim_in_pixel().0 as i32 / 2;
    for (k, line) in fig.title.iter().enumerate() {
        let (size, bold) = if k == 0 { (24.0, true) } else { (19.0, false) };
        centred_text(
            &title_area,
            line,
            (cx, 10 + (k as u32 * line_height) as i32),
            size,
            bold,
            per_glyph,
        )?;
    }
    let (top, bottom) = body.split_vertically((body.dim_in_pixel().1 as f64 * 0.55) as u32);
    let train = fig.residuals;
    let test = fig.test_residuals.unwrap_or(&[]);
    let n = train.len();
    let n_all = n + test.len();
    let m = train[0].len();
    let x_range = 0.0..(n_all as f64 + 1.0);
    // Samples in order: training 1..=N, then test N+1..; (index, residual row, is a test sample).
    let samples = || {
        train
            .iter()
            .map(|r| (r, false))
            .chain(test.iter().map(|r| (r, true)))
            .enumerate()
            .map(|(i, (r, t))| ((i + 1) as f64, r, t))
    };
    let sets = if test.is_empty() {
        format!("{n} training samples")
    } else {
        format!(
            "training samples 1–{n} (filled), test samples {}–{n_all} (hollow)",
            n + 1
        )
    };
    let colour_of = |j: usize| HSLColor(0.9 * j as f64 / m.max(1) as f64, 0.85, 0.42).mix(0.85);
    let marker = |x: f64, y: f64, colour: RGBAColor, hollow: bool| {
        if hollow {
            Circle::new((x, y), 3, colour.stroke_width(1))
        } else {
            Circle::new((x, y), 3, colour.filled())
        }
    };
    let separator = |lo: f64, hi: f64| {
        LineSeries::new(
            [(n as f64 + 0.5, lo), (n as f64 + 0.5, hi)],
            BLACK.mix(0.6).stroke_width(2),
        )
    };

    // Top panel: every output's residual against the sample index, one colour per output.
    let (lo, hi) = samples()
        .flat_map(|(_, r, _)| r.iter().copied())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    let (lo, hi) = padded(lo.min(0.0), hi.max(0.0));
    let mut chart = ChartBuilder::on(&top)
        .caption(
            format!("Residuals f(x; c) − y of all {m} outputs (one colour per output), {sets}"),
            ("sans-serif", 17),
        )
        .margin(12)
        .margin_right(36)
        .x_label_area_size(48)
        .y_label_area_size(96)
        .build_cartesian_2d(x_range.clone(), lo..hi)?;
    chart
        .configure_mesh()
        .x_desc("sample index i")
        .y_desc("residual")
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| tick(*v, hi - lo))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(0.0, 0.0), (n_all as f64 + 1.0, 0.0)],
        BLACK.mix(0.5).stroke_width(1),
    ))?;
    if !test.is_empty() {
        chart.draw_series(separator(lo, hi))?;
    }
    for j in 0..m {
        // Dark, saturated hues spread over the colour wheel (readable on white).
        let colour = colour_of(j);
        chart.draw_series(samples().map(|(x, r, t)| marker(x, r[j], colour, t)))?;
    }

    // Bottom panel: the residual norm against i.
    let norms: Vec<(f64, f64, bool)> = samples()
        .map(|(x, r, t)| (x, r.iter().map(|v| v * v).sum::<f64>().sqrt(), t))
        .collect();
    let top_norm = norms.iter().map(|p| p.1).fold(0.0f64, f64::max);
    let (_, hi) = padded(0.0, top_norm);
    let mut chart = ChartBuilder::on(&bottom)
        .caption(
            "Residual norm ‖f(x; c) − y‖₂ per sample",
            ("sans-serif", 17),
        )
        .margin(12)
        .margin_right(36)
        .x_label_area_size(48)
        .y_label_area_size(96)
        .build_cartesian_2d(x_range, 0.0..hi)?;
    chart
        .configure_mesh()
        .x_desc("sample index i")
        .y_desc("residual norm")
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 15))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| tick(*v, hi))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    if !test.is_empty() {
        chart.draw_series(separator(0.0, hi))?;
    }
    let blue = BLUE.to_rgba();
    for set in [false, true] {
        let part: Vec<(f64, f64)> = norms
            .iter()
            .filter(|p| p.2 == set)
            .map(|p| (p.0, p.1))
            .collect();
        if part.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(part.clone(), blue.mix(0.6).stroke_width(1)))?
            .label(if set { "test" } else { "training" })
            .legend(move |(x, y)| {
                let style = if set {
                    blue.stroke_width(1)
                } else {
                    blue.filled()
                };
                Circle::new((x + 10, y), 3, style)
            });
        chart.draw_series(part.iter().map(|&(x, v)| marker(x, v, blue, set)))?;
    }
    if !test.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .draw()?;
    }
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
    // At least a fifth of a decade: values equal to a few digits share a bin instead of spreading over
    // the whole axis.
    let (lo, hi) = if hi - lo < 0.2 {
        let mid = 0.5 * (lo + hi);
        (mid - 0.1, mid + 0.1)
    } else {
        (lo, hi)
    };
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
            .build_cartesian_2d(lo..hi, 0.0..(cmax * 1.15).ceil())?;
        chart
            .configure_mesh()
            .x_desc("log10(final loss of a local run)")
            .y_desc("number of runs")
            .y_label_formatter(&|v| {
                // Counts are integers: label only the integer ticks.
                if (v - v.round()).abs() < 1e-9 {
                    format!("{v:.0}")
                } else {
                    String::new()
                }
            })
            .axis_desc_style(("sans-serif", 18))
            .label_style(("sans-serif", 15))
            .draw()?;
        // Bars filled and outlined, so that neighbouring bins stay apart.
        let bar = |i: usize, c: usize| {
            let x0 = lo + i as f64 * width;
            [(x0, 0.0), (x0 + width, c as f64)]
        };
        let occupied = || counts.iter().enumerate().filter(|(_, c)| **c > 0);
        chart.draw_series(
            occupied().map(|(i, &c)| Rectangle::new(bar(i, c), GREEN.mix(0.6).filled())),
        )?;
        chart.draw_series(
            occupied().map(|(i, &c)| Rectangle::new(bar(i, c), BLACK.stroke_width(1))),
        )?;
        // The global value as a wide solid line, the lower bound as a dashed line over it: both stay
        // visible when they coincide, and the legend says so.
        let coincide = marks.len() == 2
            && marks.iter().all(|m| m.1 > 0.0)
            && ((marks[0].1.log10() - marks[1].1.log10()).abs() < width / 2.0
                || (marks[0].1 - marks[1].1).abs() <= 1e-6 * marks[0].1);
        for (k, (label, v, color)) in marks.iter().enumerate() {
            if *v <= 0.0 {
                continue;
            }
            let x = v.log10();
            let points = vec![(x, 0.0), (x, cmax * 1.1)];
            let mut text = format!("{label} {v:.4e}");
            if coincide && k == 1 {
                text.push_str(" (coincides with the global value at this scale)");
            }
            if k == 0 {
                chart
                    .draw_series(LineSeries::new(points, color.mix(0.7).stroke_width(6)))?
                    .label(text)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 24, y)], color.mix(0.7).stroke_width(6))
                    });
            } else {
                chart
                    .draw_series(DashedLineSeries::new(points, 10, 6, color.stroke_width(2)))?
                    .label(text)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 10, y)], color.stroke_width(2))
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

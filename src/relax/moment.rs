//! The moment relaxation of order k of a [`Pop`], as an SDP.
//!
//! Moments y_α are indexed by the graded basis of degree ≤ 2k (index 0 = the constant, y₀ = 1). The SDP
//! variables are y₁..y_m; its blocks are the moment matrix M_k(y) and one localizing matrix L_{g_j}(y) per
//! inequality, with rows and columns indexed by the monomials of degree ≤ k − ⌈deg g_j / 2⌉. Localizing
//! matrices of size 1 (constraints of degree 2k) are grouped into one diagonal block. Each localizing
//! polynomial is divided by its largest coefficient (this changes no feasible set and balances the blocks).

use faer::Mat;

use crate::error::{Error, Result};
use crate::polynomial::{Monomial, MonomialBasis, Polynomial};
use crate::pop::Pop;
use crate::pop::file::{pop_from_json, pop_to_json};
use crate::relax::cost::{format_bytes, format_count};
use crate::relax::sparsity::{
    Generator, Placement, Sparsity, correlative_structure, resolve_auto, term_sparsity_blocks,
};
use crate::sdp::sdpa::write_sdpa;
use crate::sdp::{ConstraintBlock, DiagonalBlock, LocalizingBlock, SdpProblem, ShiftTerm};

/// The moments of a relaxation whose moments are not the dense graded basis: monomial ↔ index.
#[derive(Clone, Debug, Default)]
struct ListedMoments {
    monomials: Vec<Monomial>,
    index: std::collections::HashMap<Monomial, usize>,
}

impl ListedMoments {
    /// The index of `m`, added if new.
    fn insert(&mut self, m: Monomial) -> usize {
        if let Some(&i) = self.index.get(&m) {
            return i;
        }
        let i = self.monomials.len();
        self.monomials.push(m.clone());
        self.index.insert(m, i);
        i
    }
}

/// Which structure a relaxation exploits (settings of [`MomentRelaxation::with_structure`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Structure {
    /// Leave the variables found by [`theta_free_variables`] out of every row basis and localize the
    /// inequalities linear in them as scalars (their multipliers are constants in every certificate,
    /// docs/METHOD.md, "θ-free bases"). The bound is always valid and equals that of the dense relaxation
    /// with the ball on the other variables only, which never exceeds the convex-hull bound (for a network,
    /// min{‖v‖_∞ : v ∈ conv r(ball)}) at any order; default false, since the dense relaxation with the ball
    /// on θ too escapes that cap (a (2,2) network, widths 35, N = 200, noise 0.01: θ-free 8.744e-4 at orders
    /// 3 and 4, dense 9.509e-4 = the loss at order 4).
    pub theta_free: bool,
    /// Term sparsity ([`Sparsity`]; default none: dense matrices).
    pub sparsity: Sparsity,
    /// Steps of the term-sparsity iteration (0 and 1 both mean one step; the iteration stops earlier when
    /// the support stabilizes).
    pub ts_steps: usize,
    /// Correlative sparsity (default false): one moment matrix per maximal clique of a chordal extension of
    /// the correlative-sparsity graph (variables joined when they meet in a term of the objective or in an
    /// equality or inequality), each inequality localized in one clique holding its variables, and a ball
    /// a − Σᵢ qᵢzᵢ² ≥ 0 localized in every clique as a − Σ_{i ∈ clique} qᵢzᵢ² ≥ 0 (implied by it; it joins
    /// no variables). The bound is valid and at most the dense one (docs/METHOD.md, "Correlative
    /// sparsity"). With [`Sparsity::None`] or `Auto` the clique matrices are dense; with `Block` or
    /// `Chordal` each clique's matrices are split by term sparsity (CS-TSSOS).
    pub correlative: bool,
}

impl Structure {
    /// The dense relaxation (no structure exploited).
    pub fn dense() -> Structure {
        Structure::default()
    }
}

/// Rows of the moment matrix up to which a term-sparsity graph is built (its edges are found among all pairs).
pub const MAX_SPARSE_ROWS: usize = 20_000;

/// How moments are numbered while a relaxation is built: the dense graded basis, or as listed.
enum Moments {
    Graded(MonomialBasis),
    Listed(ListedMoments),
}

impl Moments {
    /// The index of `m` (listed: added if new).
    fn index(&mut self, m: &Monomial) -> usize {
        match self {
            Moments::Graded(b) => b.index(m).expect("degree ≤ 2k"),
            Moments::Listed(l) => l.insert(m.clone()),
        }
    }

    fn get(&self, m: &Monomial) -> Option<usize> {
        match self {
            Moments::Graded(b) => b.index(m),
            Moments::Listed(l) => l.index.get(m).copied(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Moments::Graded(b) => b.len(),
            Moments::Listed(l) => l.monomials.len(),
        }
    }
}

/// The t-part of g (its terms that involve variable t) and the rest.
fn split_by_variable(g: &Polynomial, t: usize) -> (Vec<(&Monomial, f64)>, usize) {
    let with: Vec<(&Monomial, f64)> = g.terms().filter(|(m, c)| m.0[t] > 0 && *c != 0.0).collect();
    let max = with.iter().map(|(m, _)| m.0[t] as usize).max().unwrap_or(0);
    (with, max)
}

/// How variable t enters an inequality: not at all, as b·t with a constant b > 0, or as −a·t² alone (a > 0:
/// a ball term, relaxed away); `None` otherwise.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Entry {
    Absent,
    Linear,
    NegativeSquare,
}

fn entry(g: &Polynomial, t: usize) -> Option<Entry> {
    let (with, _) = split_by_variable(g, t);
    let n = g.nvars();
    match with[..] {
        [] => Some(Entry::Absent),
        [(m, c)] if *m == Monomial::variable(n, t) && c > 0.0 => Some(Entry::Linear),
        [(m, c)] if m.degree() == 2 && m.0[t] == 2 && c < 0.0 => Some(Entry::NegativeSquare),
        _ => None,
    }
}

/// The variables a relaxation can leave out of every row basis ("θ-free", docs/METHOD.md): a variable t such
/// that the objective is b₀·t + f₀ with b₀ > 0 constant and f₀ free of t; every inequality either does not
/// involve t, or is b·t + q with b > 0 constant and q free of t (at least one is), or involves t only through
/// a term −a·t² (a > 0, a ball: the relaxation replaces it by the implied inequality without that term); no
/// equality involves t; and no inequality involves two such variables (the first ones found are kept).
/// For the network POPs this is θ (t = θ/s).
pub fn theta_free_variables(pop: &Pop) -> Vec<usize> {
    let n = pop.nvars();
    let mut free: Vec<usize> = vec![];
    for t in 0..n {
        let (obj, _) = split_by_variable(&pop.objective, t);
        let linear_objective =
            matches!(obj[..], [(m, c)] if *m == Monomial::variable(n, t) && c > 0.0);
        if !linear_objective
            || pop
                .equalities
                .iter()
                .any(|h| entry(h, t) != Some(Entry::Absent))
        {
            continue;
        }
        let entries: Option<Vec<Entry>> = pop.inequalities.iter().map(|g| entry(g, t)).collect();
        let Some(entries) = entries else { continue };
        if !entries.contains(&Entry::Linear) {
            continue;
        }
        // No inequality involving t may involve an earlier free variable.
        let clash = pop.inequalities.iter().zip(&entries).any(|(g, e)| {
            *e != Entry::Absent && free.iter().any(|&u| entry(g, u) != Some(Entry::Absent))
        });
        if !clash {
            free.push(t);
        }
    }
    free
}

/// Set each variable t of `free` (θ-free, [`theta_free_variables`]) to the smallest value every inequality
/// allows at the other coordinates of `z`: t = max_j −q_j(z)/b_j over the inequalities b_j·t + q_j ≥ 0 (0 when
/// none is active), the minimizer in t of the objective, which is increasing in t.
pub fn fill_smallest_levels(pop: &Pop, free: &[usize], z: &mut [f64]) {
    let n = pop.nvars();
    for &t in free {
        let unit = Monomial::variable(n, t);
        let mut level = f64::NEG_INFINITY;
        for g in &pop.inequalities {
            if entry(g, t) != Some(Entry::Linear) {
                continue;
            }
            let b = g.coefficient(&unit);
            let mut zt = z.to_vec();
            zt[t] = 0.0;
            level = level.max(-g.evaluate(&zt) / b);
        }
        z[t] = if level.is_finite() { level } else { 0.0 };
    }
}

/// g without its terms −a·t² in the free variables t (g ≥ 0 implies this polynomial ≥ 0).
fn relaxed_inequality(g: &Polynomial, free: &[usize]) -> Polynomial {
    let mut out = g.clone();
    for &t in free {
        if entry(g, t) == Some(Entry::NegativeSquare) {
            let (with, _) = split_by_variable(g, t);
            for (m, c) in with {
                out.add_term(m.clone(), -c);
            }
        }
    }
    out.prune(0.0);
    out
}

/// What a block of the relaxation stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockRole {
    /// The moment matrix M_k(y).
    Moment,
    /// Localizing matrices of the given inequalities (several when grouped into a diagonal block).
    Localizing(Vec<usize>),
}

/// The moment relaxation of order k of a POP.
#[derive(Clone, Debug)]
pub struct MomentRelaxation {
    pop: Pop,
    order: usize,
    /// The dense graded basis of degree ≤ 2k (the moments of the dense relaxation; for a θ-free one, the
    /// basis of degree ≤ 2k in all variables, used only to name monomials by degree).
    basis: MonomialBasis,
    /// The moments of a θ-free or term-sparse relaxation (monomial ↔ index, index 0 = 1); `None`: the dense
    /// basis.
    listed: Option<ListedMoments>,
    /// The variables left out of every row basis ([`theta_free_variables`]); empty for the dense relaxation.
    free: Vec<usize>,
    /// The other variables, in order: the row bases are graded bases in these.
    kept: Vec<usize>,
    /// Graded basis of degree ≤ k in the kept variables (the rows of M_k, as monomials of the kept variables);
    /// `None` under correlative sparsity, whose rows are the cliques' bases.
    rows: Option<MonomialBasis>,
    /// The row monomials in all the POP's variables, by degree: each monomial of `rows`, or the union of the
    /// cliques' graded bases.
    row_monomials: Vec<Monomial>,
    /// `row_counts[t]`: how many row monomials have degree ≤ t.
    row_counts: Vec<usize>,
    /// For each inequality, the degree t of its localizing matrix's rows (≤ k − ⌈deg g_j/2⌉).
    row_degrees: Vec<usize>,
    sdp: SdpProblem,
    roles: Vec<BlockRole>,
    /// The row monomials of each block of `sdp` (empty for the diagonal block).
    block_rows: Vec<Vec<Monomial>>,
    /// For each block of `sdp`, the variables whose ball terms its inequality leaves out beyond the free
    /// ones (under correlative sparsity, those outside the clique of a split ball).
    block_dropped: Vec<Vec<usize>>,
    /// The cliques of correlative sparsity (each a sorted list of variables); `None` without it.
    cliques: Option<Vec<Vec<usize>>>,
    /// The term sparsity the blocks come from (never `Auto`: what it resolved to).
    sparsity: Sparsity,
    /// Its steps, as asked.
    ts_steps: usize,
    /// Each inequality was divided by this (its largest coefficient; 0 for a zero polynomial, dropped).
    scales: Vec<f64>,
    /// For each equality row of the SDP: (equality index k, monomial index u, scale of h_k).
    equality_rows: Vec<(usize, usize, f64)>,
    /// For a θ-free relaxation, the monomial u of each equality row (`equality_rows` index into this).
    equality_monomials: Vec<Monomial>,
    /// Dense objective coefficients over the moments (entry 0 = constant).
    objective: Vec<f64>,
}

pub use crate::relax::cost::RelaxationSize;

/// What to do about a relaxation of order `order` (minimal order `k0`) that is too large.
fn lower_the_order(order: usize, k0: usize) -> String {
    if order > k0 {
        "lower the order".into()
    } else {
        format!(
            "{k0} is already the minimal order (⌈degree/2⌉): only a problem of lower degree or with fewer \
             variables fits"
        )
    }
}

/// Why an order does not fit: its true size, and at the minimal order that no order of the dense relaxation
/// can fit (a lower order does not exist).
fn too_large(size: &RelaxationSize, k0: usize, max_bytes: usize) -> String {
    let s = format_count(size.moment_matrix);
    let what = format!(
        "the order-{} relaxation in {} variables has {} moments and a {s}×{s} moment matrix; it needs about {} \
         (limit {})",
        size.order,
        size.nvars,
        format_count(size.moments),
        format_bytes(size.bytes),
        format_bytes(max_bytes as f64)
    );
    if size.order > k0 {
        format!("{what}: lower the order")
    } else {
        format!(
            "the dense moment relaxation of this problem cannot fit: {what}, and {k0} is its minimal order \
             (⌈degree/2⌉), so no lower order exists; only a problem of lower degree or with fewer variables fits"
        )
    }
}

impl MomentRelaxation {
    /// Build the order-`order` relaxation. Refuses orders below the problem's minimum, equality constraints
    /// (not yet supported), and relaxations whose estimated memory exceeds `max_bytes`.
    pub fn new(pop: &Pop, order: usize, max_bytes: usize) -> Result<MomentRelaxation> {
        Self::with_structure(pop, order, max_bytes, Structure::dense())
    }

    /// Build the order-`order` relaxation exploiting `structure`: with `theta_free`, the variables of
    /// [`theta_free_variables`] leave every row basis, the moments are the monomials the blocks use
    /// (indexed by a hash map), and a ball term −a·t² of a free t is dropped from its inequality. Without
    /// any such variable this is [`Self::new`].
    pub fn with_structure(
        pop: &Pop,
        order: usize,
        max_bytes: usize,
        structure: Structure,
    ) -> Result<MomentRelaxation> {
        let free = if structure.theta_free {
            theta_free_variables(pop)
        } else {
            vec![]
        };
        Self::build(pop, order, max_bytes, free, structure)
    }

    fn build(
        pop: &Pop,
        order: usize,
        max_bytes: usize,
        free: Vec<usize>,
        structure: Structure,
    ) -> Result<MomentRelaxation> {
        let Structure {
            sparsity,
            ts_steps,
            correlative,
            ..
        } = structure;
        let n = pop.nvars();
        let k0 = pop.min_order();
        if order < k0 {
            return Err(Error::InvalidInput(format!(
                "relaxation order {order} is below the minimal order {k0} of this problem"
            )));
        }
        let kept: Vec<usize> = (0..n).filter(|i| !free.contains(i)).collect();
        // An inequality linear in a free variable has a constant multiplier in every SOS certificate of
        // the θ-free relaxation (docs/METHOD.md, "θ-free bases"), so it is localized as a scalar.
        let scalar: Vec<bool> = pop
            .inequalities
            .iter()
            .map(|g| free.iter().any(|&t| entry(g, t) == Some(Entry::Linear)))
            .collect();
        // Under correlative sparsity `auto` keeps the clique matrices dense; block and chordal split them
        // (term sparsity inside the cliques, CS-TSSOS).
        let sparsity = if correlative && sparsity == Sparsity::Auto {
            Sparsity::None
        } else {
            sparsity
        };
        let size = RelaxationSize::with_row_variables(pop, order, kept.len(), &scalar);
        if correlative {
            // The clique blocks are checked once built (the dense size says nothing about them).
        } else if sparsity == Sparsity::None {
            if size.bytes > max_bytes as f64 || size.moments > u32::MAX as f64 {
                return Err(Error::TooLarge(too_large(&size, k0, max_bytes)));
            }
        } else if size.moment_matrix > MAX_SPARSE_ROWS as f64 {
            return Err(Error::TooLarge(format!(
                "the order-{order} moment matrix in {} row variables has {} rows; its term-sparsity graph is \
                 built for at most {} rows: {}",
                kept.len(),
                format_count(size.moment_matrix),
                format_count(MAX_SPARSE_ROWS as f64),
                lower_the_order(order, k0)
            )));
        }
        // The inequalities as localized: a ball term of a free variable dropped, divided by the largest
        // coefficient (zero ones dropped: 0 ≥ 0 always holds).
        let mut scales = vec![];
        let mut row_degrees = vec![];
        let mut localized: Vec<(usize, Polynomial, usize)> = vec![]; // (j, g_j scaled, row degree)
        for (j, g) in pop.inequalities.iter().enumerate() {
            let g = relaxed_inequality(g, &free);
            let scale = g.max_abs_coefficient();
            scales.push(scale);
            let t = if scalar[j] {
                0
            } else {
                order.saturating_sub((g.degree() as usize).div_ceil(2))
            };
            row_degrees.push(t);
            if scale != 0.0 {
                localized.push((j, g.scale(1.0 / scale), t));
            }
        }
        let one = Polynomial::constant(n, 1.0);
        let embed = |m: &Monomial, vars: &[usize]| {
            let mut e = vec![0u16; n];
            for (i, &v) in vars.iter().enumerate() {
                e[v] = m.0[i];
            }
            Monomial(e)
        };
        let cliques = correlative.then(|| correlative_structure(pop, &kept, &localized));
        // The row monomials: the graded basis in the kept variables, or under correlative sparsity the union
        // of the cliques' graded bases, sorted by degree (`row_counts[t]`: how many have degree ≤ t).
        let (rows, row_monomials) = match &cliques {
            None => {
                let rows = MonomialBasis::new(kept.len(), order);
                let monomials = rows.monomials().iter().map(|m| embed(m, &kept)).collect();
                (Some(rows), monomials)
            }
            Some(cs) => {
                let mut union: Vec<Monomial> = cs
                    .cliques
                    .iter()
                    .flat_map(|c| {
                        MonomialBasis::new(c.len(), order)
                            .monomials()
                            .iter()
                            .map(|m| embed(m, c))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                union.sort_by(|a, b| a.degree().cmp(&b.degree()).then_with(|| b.0.cmp(&a.0)));
                union.dedup();
                (None, union)
            }
        };
        let row_counts: Vec<usize> = (0..=order)
            .map(|t| row_monomials.partition_point(|m| m.degree() as usize <= t))
            .collect();
        // Every block to build: (inequality or None for a moment block, its polynomial, its rows, the ball
        // variables its polynomial leaves out).
        type Spec<'p> = (
            Option<usize>,
            std::borrow::Cow<'p, Polynomial>,
            Vec<usize>,
            Vec<usize>,
        );
        let mut specs: Vec<Spec<'_>> = vec![];
        let mut sparsity = sparsity;
        if let Some(cs) = &cliques {
            let row_index: std::collections::HashMap<&Monomial, usize> = row_monomials
                .iter()
                .enumerate()
                .map(|(i, m)| (m, i))
                .collect();
            let clique_rows = |c: &[usize], t: usize| -> Vec<usize> {
                let basis = MonomialBasis::new(c.len(), t);
                basis
                    .monomials()
                    .iter()
                    .map(|m| row_index[&embed(m, c)])
                    .collect()
            };
            // Every matrix with the clique it lies in: the cliques' moment matrices first, then each
            // inequality's localizing matrix (a split ball: one per clique it meets).
            type Matrix<'p> = (
                usize,
                Option<usize>,
                std::borrow::Cow<'p, Polynomial>,
                Vec<usize>,
                Vec<usize>,
            );
            let mut matrices: Vec<Matrix<'_>> = vec![];
            for (ci, c) in cs.cliques.iter().enumerate() {
                matrices.push((
                    ci,
                    None,
                    std::borrow::Cow::Borrowed(&one),
                    clique_rows(c, order),
                    vec![],
                ));
            }
            for (i, (j, g, t)) in localized.iter().enumerate() {
                match &cs.placement[i] {
                    Placement::Clique(c) => matrices.push((
                        *c,
                        Some(*j),
                        std::borrow::Cow::Borrowed(g),
                        clique_rows(&cs.cliques[*c], *t),
                        vec![],
                    )),
                    Placement::Split(squares) => {
                        for (ci, c) in cs.cliques.iter().enumerate() {
                            if !squares.iter().any(|v| c.contains(v)) {
                                continue; // a − (nothing): the moment block times a > 0
                            }
                            let outside: Vec<usize> =
                                squares.iter().copied().filter(|v| !c.contains(v)).collect();
                            let restricted = Polynomial::from_terms(
                                n,
                                g.terms()
                                    .filter(|(m, _)| !outside.iter().any(|&v| m.0[v] > 0))
                                    .map(|(m, a)| (m.clone(), a)),
                            );
                            matrices.push((
                                ci,
                                Some(*j),
                                std::borrow::Cow::Owned(restricted),
                                clique_rows(c, *t),
                                outside,
                            ));
                        }
                    }
                }
            }
            // The row sets of each matrix: all its rows (dense clique blocks), or with term sparsity inside
            // the cliques (CS-TSSOS) the blocks of each clique's matrices, the clique's moment matrix first.
            let row_sets: Vec<Vec<Vec<usize>>> = match sparsity {
                Sparsity::None | Sparsity::Auto => {
                    matrices.iter().map(|m| vec![m.3.clone()]).collect()
                }
                mode => {
                    let mut sets = vec![vec![]; matrices.len()];
                    for ci in 0..cs.cliques.len() {
                        let members: Vec<usize> = (0..matrices.len())
                            .filter(|&i| matrices[i].0 == ci)
                            .collect();
                        let monomials: Vec<Vec<Monomial>> = members
                            .iter()
                            .map(|&i| {
                                matrices[i]
                                    .3
                                    .iter()
                                    .map(|&r| row_monomials[r].clone())
                                    .collect()
                            })
                            .collect();
                        let generators: Vec<Generator<'_>> = members
                            .iter()
                            .zip(&monomials)
                            .map(|(&i, rows)| Generator {
                                polynomial: &matrices[i].2,
                                rows,
                            })
                            .collect();
                        let blocks =
                            term_sparsity_blocks(&pop.objective, &generators, mode, ts_steps);
                        for (&i, bs) in members.iter().zip(blocks) {
                            sets[i] = bs
                                .into_iter()
                                .map(|b| b.into_iter().map(|r| matrices[i].3[r]).collect())
                                .collect();
                        }
                    }
                    sets
                }
            };
            for ((_, constraint, g, _, dropped), sets) in matrices.into_iter().zip(row_sets) {
                for set in sets {
                    specs.push((constraint, g.clone(), set, dropped.clone()));
                }
            }
        } else {
            let full = |t: usize| vec![(0..row_counts[t]).collect::<Vec<usize>>()];
            let dense_blocks = || -> Vec<Vec<Vec<usize>>> {
                std::iter::once(full(order))
                    .chain(localized.iter().map(|(_, _, t)| full(*t)))
                    .collect()
            };
            let sparse_blocks = |mode: Sparsity| {
                let generators: Vec<Generator<'_>> = std::iter::once(Generator {
                    polynomial: &one,
                    rows: &row_monomials[..],
                })
                .chain(localized.iter().map(|(_, g, t)| Generator {
                    polynomial: g,
                    rows: &row_monomials[..row_counts[*t]],
                }))
                .collect();
                term_sparsity_blocks(&pop.objective, &generators, mode, ts_steps)
            };
            let (resolved, row_sets) = match sparsity {
                Sparsity::None => (Sparsity::None, dense_blocks()),
                Sparsity::Auto => {
                    let chordal = sparse_blocks(Sparsity::Chordal);
                    match resolve_auto(&chordal[0], row_monomials.len()) {
                        Sparsity::Chordal => (Sparsity::Chordal, chordal),
                        _ => (Sparsity::None, dense_blocks()),
                    }
                }
                mode => (mode, sparse_blocks(mode)),
            };
            sparsity = resolved;
            let matrices = std::iter::once((None, &one))
                .chain(localized.iter().map(|(j, g, _)| (Some(*j), g)));
            for ((constraint, g), sets) in matrices.zip(row_sets) {
                for set in sets {
                    specs.push((constraint, std::borrow::Cow::Borrowed(g), set, vec![]));
                }
            }
        }
        // Listed moments for every structured relaxation; the graded basis for the dense one.
        let structured = sparsity != Sparsity::None || cliques.is_some();
        let mut moments = if free.is_empty() && !structured {
            Moments::Graded(MonomialBasis::new(n, 2 * order))
        } else {
            let mut listed = ListedMoments::default();
            listed.insert(Monomial::one(n));
            Moments::Listed(listed)
        };
        let mut blocks = vec![];
        let mut roles = vec![];
        let mut block_rows = vec![];
        let mut block_dropped = vec![];
        let mut diagonal_rows = vec![];
        let mut diagonal_of = vec![];
        for (constraint, g, set, dropped) in specs {
            if let Some(j) = constraint
                && dropped.is_empty()
                && row_degrees[j] == 0
            {
                diagonal_rows.push(
                    g.terms()
                        .map(|(gamma, c)| (moments.index(gamma) as u32, c))
                        .collect(),
                );
                diagonal_of.push(j);
                continue;
            }
            let rows_of: Vec<Monomial> = set.iter().map(|&i| row_monomials[i].clone()).collect();
            blocks.push(block(&rows_of, &g, &mut moments));
            roles.push(match constraint {
                None => BlockRole::Moment,
                Some(j) => BlockRole::Localizing(vec![j]),
            });
            block_rows.push(rows_of);
            block_dropped.push(dropped);
        }
        if !diagonal_rows.is_empty() {
            blocks.push(ConstraintBlock::Diagonal(DiagonalBlock::new(diagonal_rows)));
            roles.push(BlockRole::Localizing(diagonal_of));
            block_rows.push(vec![]);
            block_dropped.push(vec![]);
        }
        // Equalities (free of the free variables): Σ_γ h_γ y_{u+γ} = 0 for every row-variable monomial u of
        // degree ≤ 2k − deg h_k (under correlative sparsity, monomials of the clique holding h_k); with term
        // sparsity only the rows whose moments the blocks already have (a subset of the dense rows: still a
        // relaxation).
        let wide = (cliques.is_none() && !pop.equalities.is_empty())
            .then(|| MonomialBasis::new(kept.len(), 2 * order));
        let mut equality_rows = vec![];
        let mut eq_rows = vec![];
        let mut equality_monomials = vec![];
        for (k, h) in pop.equalities.iter().enumerate() {
            let scale = h.max_abs_coefficient();
            if scale == 0.0 {
                continue;
            }
            let dh = h.degree() as usize;
            let Some(top) = (2 * order).checked_sub(dh) else {
                continue;
            };
            let multipliers: Vec<Monomial> = match (&cliques, &wide) {
                (Some(cs), _) => {
                    let c = &cs.cliques[cs.equality_cliques[k]];
                    MonomialBasis::new(c.len(), top)
                        .monomials()
                        .iter()
                        .map(|m| embed(m, c))
                        .collect()
                }
                (None, Some(wide)) => wide.monomials()[..wide.count_up_to(top)]
                    .iter()
                    .map(|m| embed(m, &kept))
                    .collect(),
                (None, None) => unreachable!("the wide basis exists when there are equalities"),
            };
            for um in multipliers {
                if structured
                    && h.terms()
                        .any(|(gamma, _)| moments.get(&um.times(gamma)).is_none())
                {
                    continue;
                }
                let row: Vec<(u32, f64)> = h
                    .terms()
                    .map(|(gamma, c)| (moments.index(&um.times(gamma)) as u32, c / scale))
                    .collect();
                eq_rows.push(row);
                equality_rows.push((k, equality_monomials.len(), scale));
                equality_monomials.push(um);
            }
        }
        let structure_name = match &cliques {
            Some(cs) => format!("correlative-sparsity ({} cliques)", cs.cliques.len()),
            None => format!("{} term-sparsity", sparsity.name()),
        };
        let mut objective_terms = vec![];
        for (m, c) in pop.objective.terms() {
            if m.degree() as usize > 2 * order {
                return Err(Error::InvalidInput(
                    "objective degree exceeds twice the relaxation order".into(),
                ));
            }
            if structured && moments.get(m).is_none() {
                return Err(Error::InvalidInput(format!(
                    "the objective's monomial {:?} is in no block of the {structure_name} relaxation of order \
                     {order} (it would be unbounded): raise the order or use --sparsity none",
                    m.0
                )));
            }
            objective_terms.push((moments.index(m), c));
        }
        let m = moments.len();
        let mut objective = vec![0.0; m];
        for (i, c) in objective_terms {
            objective[i] += c;
        }
        let sdp = SdpProblem::new(m - 1, objective.clone(), blocks)?.with_equalities(eq_rows)?;
        if structured && sdp.memory_estimate() > max_bytes {
            return Err(Error::TooLarge(format!(
                "the order-{order} {structure_name} relaxation has {} moments; it needs about {} (limit {}): {}",
                format_count(m as f64),
                format_bytes(sdp.memory_estimate() as f64),
                format_bytes(max_bytes as f64),
                lower_the_order(order, k0)
            )));
        }
        let (basis, listed) = match moments {
            Moments::Graded(b) => (b, None),
            Moments::Listed(l) => (MonomialBasis::new(0, 0), Some(l)),
        };
        Ok(MomentRelaxation {
            pop: pop.clone(),
            order,
            basis,
            listed,
            free,
            kept,
            rows,
            row_monomials,
            row_counts,
            row_degrees,
            sdp,
            roles,
            block_rows,
            block_dropped,
            cliques: cliques.map(|cs| cs.cliques),
            sparsity,
            ts_steps,
            scales,
            equality_rows,
            equality_monomials,
            objective,
        })
    }

    /// Number of moments (SDP variables + 1).
    pub fn num_moments(&self) -> usize {
        match &self.listed {
            Some(l) => l.monomials.len(),
            None => self.basis.len(),
        }
    }

    /// The i-th moment's monomial.
    pub fn moment_monomial(&self, i: usize) -> &Monomial {
        match &self.listed {
            Some(l) => &l.monomials[i],
            None => self.basis.monomial(i),
        }
    }

    /// The index of a monomial's moment, if the relaxation has it.
    pub fn moment_index(&self, m: &Monomial) -> Option<usize> {
        match &self.listed {
            Some(l) => l.index.get(m).copied(),
            None => self.basis.index(m),
        }
    }

    /// Its blocks and structure in words: [`RelaxationSize::describe_size`], then the term sparsity and the
    /// θ-free variables when used.
    pub fn describe(&self) -> String {
        let mut text = self.size().describe_size();
        if self.sparsity != Sparsity::None {
            text.push_str(&format!(
                ", term sparsity {} ({} step{})",
                self.sparsity.name(),
                self.ts_steps.max(1),
                if self.ts_steps > 1 { "s" } else { "" }
            ));
        }
        if let Some(cliques) = &self.cliques {
            let largest = cliques.iter().map(Vec::len).max().unwrap_or(0);
            text.push_str(&format!(
                ", correlative sparsity ({} clique{}, largest {largest} variable{})",
                cliques.len(),
                if cliques.len() == 1 { "" } else { "s" },
                if largest == 1 { "" } else { "s" }
            ));
        }
        if !self.free.is_empty() {
            text.push_str(", θ-free");
        }
        text
    }

    /// The size and predicted cost of this relaxation, from its blocks as built (for a dense relaxation the
    /// same as [`RelaxationSize::new`]).
    pub fn size(&self) -> RelaxationSize {
        let mut moment_blocks = vec![];
        let mut localizing = vec![];
        let mut diagonal = 0;
        let mut updates = 0.0;
        for (block, role) in self.sdp.blocks().iter().zip(&self.roles) {
            let side = block.dim() as f64;
            match (block, role) {
                (ConstraintBlock::Diagonal(d), _) => {
                    diagonal += d.rows.len();
                    updates += d
                        .rows
                        .iter()
                        .map(|r| 0.5 * (r.len() as f64).powi(2))
                        .sum::<f64>();
                }
                (ConstraintBlock::Localizing(l), role) => {
                    let s = l.size as f64;
                    let terms = l.terms.len() as f64;
                    let ell = l.small_len as f64;
                    if matches!(role, BlockRole::Moment) {
                        moment_blocks.push(s);
                        updates += 0.5 * s.powi(4);
                    } else {
                        localizing.push(s);
                        updates += 0.5 * terms * terms * ell * ell;
                    }
                }
                (ConstraintBlock::Sparse(_), _) => localizing.push(side),
            }
        }
        RelaxationSize::from_blocks(
            self.order,
            self.pop.nvars(),
            self.sdp.num_vars() as f64 + 1.0,
            moment_blocks,
            localizing,
            diagonal,
            self.equality_rows.len() as f64,
            self.sdp.memory_estimate() as f64,
            updates,
        )
    }

    /// The term sparsity of the blocks ([`Sparsity::None`] for dense matrices; never `Auto`, which resolves
    /// to one of the others when the relaxation is built).
    pub fn sparsity(&self) -> Sparsity {
        self.sparsity
    }

    /// The row monomials (in all variables) of block `b` of [`Self::sdp`]; empty for the diagonal block,
    /// whose entries are the localizing matrices of size one (row: the constant).
    pub fn sdp_block_rows(&self, b: usize) -> &[Monomial] {
        &self.block_rows[b]
    }

    /// The sides of the blocks of each role: (moment-matrix blocks, localizing blocks), the entries of the
    /// diagonal block counted as localizing blocks of side one.
    pub fn block_sides(&self) -> (Vec<usize>, Vec<usize>) {
        let mut moment = vec![];
        let mut localizing = vec![];
        for (b, role) in self.roles.iter().enumerate() {
            match role {
                BlockRole::Moment => moment.push(self.block_rows[b].len()),
                BlockRole::Localizing(js) if self.block_rows[b].is_empty() => {
                    localizing.extend(std::iter::repeat_n(1, js.len()))
                }
                BlockRole::Localizing(_) => localizing.push(self.block_rows[b].len()),
            }
        }
        (moment, localizing)
    }

    /// The variables left out of every row basis (θ-free; empty for the dense relaxation).
    pub fn free_variables(&self) -> &[usize] {
        &self.free
    }

    /// The variables of the row bases, in order (all variables for the dense relaxation).
    pub fn row_variables(&self) -> &[usize] {
        &self.kept
    }

    /// The graded basis of degree ≤ k in the row variables: row i of M_k(y) is its i-th monomial; `None`
    /// under correlative sparsity (no matrix has all these rows).
    pub fn row_basis(&self) -> Option<&MonomialBasis> {
        self.rows.as_ref()
    }

    /// The cliques of correlative sparsity, each a sorted list of variables ([`Structure::correlative`]);
    /// `None` without it.
    pub fn cliques(&self) -> Option<&[Vec<usize>]> {
        self.cliques.as_deref()
    }

    /// The variables whose ball terms −qᵢzᵢ² block `b` leaves out of its inequality (a relaxed form
    /// g + Σᵢ qᵢzᵢ², implied by g ≥ 0): the free variables of a θ-free relaxation, and under correlative
    /// sparsity the variables outside the clique of a split ball.
    pub fn dropped_ball_variables(&self, b: usize) -> impl Iterator<Item = usize> + '_ {
        self.free
            .iter()
            .copied()
            .chain(self.block_dropped[b].iter().copied())
    }

    /// The row monomials (in all variables) of the localizing matrix of inequality j (`None`: the moment
    /// matrix), in order; a block of size one when the inequality sits in the diagonal block. Under
    /// correlative sparsity, every row of degree ≤ its row degree in some clique.
    pub fn block_rows(&self, constraint: Option<usize>) -> &[Monomial] {
        let t = constraint.map_or(self.order, |j| self.row_degrees[j]);
        &self.row_monomials[..self.row_counts[t]]
    }

    /// The monomial (in all variables) multiplying an equality in a row of [`Self::equality_rows`].
    pub fn equality_monomial(&self, u: usize) -> &Monomial {
        match &self.listed {
            Some(_) => &self.equality_monomials[u],
            None => self.basis.monomial(u),
        }
    }

    /// The point of all variables with these values of the row variables, the free ones filled in with the
    /// smallest value every inequality allows (t = max_j −q_j(z)/b_j over the inequalities b_j·t + q_j ≥ 0;
    /// 0 when none is active): the minimizer in t of the objective, which is increasing in t.
    pub fn complete_point(&self, row_values: &[f64]) -> Vec<f64> {
        let n = self.pop.nvars();
        let mut z = vec![0.0; n];
        for (&v, &x) in self.kept.iter().zip(row_values) {
            z[v] = x;
        }
        fill_smallest_levels(&self.pop, &self.free, &mut z);
        z
    }

    /// The POP this relaxes.
    pub fn pop(&self) -> &Pop {
        &self.pop
    }

    /// The order k.
    pub fn order(&self) -> usize {
        self.order
    }

    /// The moment basis (degree ≤ 2k).
    pub fn basis(&self) -> &MonomialBasis {
        &self.basis
    }

    /// The SDP: minimize Σ f_α y_α subject to the moment and localizing matrices being PSD.
    pub fn sdp(&self) -> &SdpProblem {
        &self.sdp
    }

    /// For each equality row of the SDP: the equality k, the monomial u (index in the basis) it multiplies,
    /// and the factor h_k was divided by.
    pub fn equality_rows(&self) -> &[(usize, usize, f64)] {
        &self.equality_rows
    }

    /// The factor each inequality was divided by in its localizing block.
    pub fn scales(&self) -> &[f64] {
        &self.scales
    }

    /// What each block of [`Self::sdp`] stands for.
    pub fn roles(&self) -> &[BlockRole] {
        &self.roles
    }

    /// The low-rank step's SDP: minimize Σ f_α y_α + `weight`·tr M_k(y) over the relaxation's own blocks.
    ///
    /// A small weight keeps the objective within weight·(tr M_k(y*) − tr M_k(y)) of the optimum (y* any
    /// optimal point) and, among nearly optimal points, prefers those of small trace, hence low rank: the
    /// penalty form of minimizing tr M_k(y) with the objective held at its optimum. Unlike that form, whose
    /// feasible set is a thin slab along the optimal face, this one has the relaxation's own feasible set, so
    /// it is as well posed as the relaxation: 26–31 interior-point iterations on the paper's order-3 relaxations,
    /// as many as the relaxation itself, where the constrained form took 39–65 (docs/BENCHMARKS.md).
    pub fn low_rank_problem(&self, weight: f64) -> Result<SdpProblem> {
        let mut c = self.objective.clone();
        for i in self.trace_indices() {
            c[i] += weight;
        }
        SdpProblem::new(self.sdp.num_vars(), c, self.sdp.blocks().to_vec())?
            .with_equalities(self.sdp.equalities().to_vec())
    }

    /// tr M_k(y) of a full moment vector.
    pub fn trace(&self, moments: &[f64]) -> f64 {
        self.trace_indices().map(|i| moments[i]).sum()
    }

    /// The moments on the diagonal of M_k (those of the squares of its row monomials).
    fn trace_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.block_rows(None)
            .iter()
            .map(|u| self.moment_index(&u.times(u)).expect("degree ≤ 2k"))
    }

    /// The relaxation's objective Σ f_α y_α at a full moment vector.
    pub fn objective_value(&self, moments: &[f64]) -> f64 {
        self.objective.iter().zip(moments).map(|(f, y)| f * y).sum()
    }

    /// Full moment vector [1, y₁, …, y_m] from SDP variables.
    pub fn moments(&self, x: &[f64]) -> Vec<f64> {
        crate::sdp::full_vector(x)
    }

    /// The truncated moment matrix M_t(y) for t ≤ k, rows and columns the monomials of degree ≤ t of
    /// [`Self::row_basis`]; `None` for a term- or correlatively sparse relaxation, whose moments cover only
    /// its blocks.
    pub fn moment_matrix(&self, moments: &[f64], t: usize) -> Option<Mat<f64>> {
        if self.sparsity != Sparsity::None || self.cliques.is_some() {
            return None;
        }
        if self.listed.is_none() {
            let s = self.basis.count_up_to(t);
            return Some(Mat::from_fn(s, s, |u, v| {
                moments[self.basis.index_of_product(u, v).expect("degree ≤ 2k")]
            }));
        }
        let rows = &self.row_monomials[..self.row_counts[t]];
        let s = rows.len();
        Some(Mat::from_fn(s, s, |u, v| {
            moments[self
                .moment_index(&rows[u].times(&rows[v]))
                .expect("degree ≤ 2k")]
        }))
    }

    /// Bounds Bᵢ ≥ |yᵢ| for every moment vector feasible for [`Self::sdp`] (i = 1..m, the SDP's variables), from
    /// a ball a − Σᵢ cᵢ zᵢ² ≥ 0 on every variable among the inequalities (as scaled in its localizing block,
    /// i.e. exactly the doubles of the SDP); `None` without one. Bᵢ = R^{|αᵢ|} with R² = a / minᵢ cᵢ rounded up
    /// (docs/METHOD.md, "A lower bound valid at any dual point"): the localizing matrix of the ball at order
    /// k − 1 gives L(‖z‖^{2j}) ≤ R^{2j} for j ≤ k, hence y_{2β} ≤ R^{2|β|} on the diagonal of M_k(y), and every
    /// moment y_{β+γ} with |β|, |γ| ≤ k is an entry of M_k(y) ⪰ 0, so |y_{β+γ}| ≤ √(y_{2β} y_{2γ}). This is the
    /// interface [`crate::sdp::valid_lower_bound`] uses; it relies on M_k(y) having every monomial of degree
    /// ≤ k as a row and the ball's localizing matrix every monomial of degree ≤ k − 1 (the dense relaxation):
    /// a relaxation built on a smaller basis must return `None` here or a bound proved for that basis.
    pub fn moment_bounds(&self) -> Option<Vec<f64>> {
        use crate::verified::{mul_up, pow_up, sqrt_up};
        let r2 = self.ball_radius_squared()?;
        let r = sqrt_up(r2);
        Some(
            (1..self.basis.len())
                .map(|i| {
                    let d = self.basis.monomial(i).degree();
                    let even = pow_up(r2, d / 2);
                    if d.is_multiple_of(2) {
                        even
                    } else {
                        mul_up(even, r)
                    }
                })
                .collect(),
        )
    }

    /// The bounds of the feasible set the valid lower bound uses ([`crate::sdp::FeasibleSetBounds`]):
    /// [`Self::moment_bounds`] and [`Self::trace_weights`]; `None` without moment bounds.
    pub fn feasible_set_bounds(&self) -> Option<crate::sdp::FeasibleSetBounds> {
        Some(crate::sdp::FeasibleSetBounds {
            variables: self.moment_bounds()?,
            traces: self.trace_weights(),
        })
    }

    /// The inequalities a − Σ qᵢzᵢ² ≥ 0 (every qᵢ > 0, nothing else; as the relaxation scales them) with their
    /// a/q_min rounded up, when the relaxation is dense (the bounds built on them are proved for the dense
    /// basis only).
    fn balls(&self) -> Vec<(usize, f64, f64)> {
        use crate::verified::div_up;
        if !self.free_variables().is_empty()
            || self.sparsity != Sparsity::None
            || self.cliques.is_some()
        {
            return vec![]; // a θ-free or sparse basis: the bounds are proved for the dense one only
        }
        let n = self.basis.nvars();
        let square = |i: usize| Monomial::variable(n, i).times(&Monomial::variable(n, i));
        self.pop
            .inequalities
            .iter()
            .zip(&self.scales)
            .enumerate()
            .filter(|(_, (_, s))| **s != 0.0)
            .filter_map(|(i, (g, s))| {
                let g = g.scale(1.0 / s);
                let a = g.coefficient(&Monomial::one(n));
                if a.is_nan() || a <= 0.0 || g.len() != n + 1 {
                    return None;
                }
                let qmin = (0..n)
                    .map(|i| -g.coefficient(&square(i)))
                    .fold(f64::INFINITY, f64::min);
                let r2 = div_up(a, qmin);
                (qmin > 0.0 && r2.is_finite()).then_some((i, a, r2))
            })
            .collect()
    }

    /// R² ≥ a/q_min for the tightest ball among the inequalities ([`Self::balls`]).
    fn ball_radius_squared(&self) -> Option<f64> {
        self.balls().iter().map(|b| b.2).reduce(f64::min)
    }

    /// Weighted trace bounds, for [`crate::sdp::valid_lower_bound_weighted`], of the moment matrix and of the
    /// localizing matrix of every ball a − Σ qᵢzᵢ², with the weights |α|!/α! on their rows z^α: T = Σ_{j≤k} R^{2j}
    /// and a·Σ_{j≤k−1} R^{2j} (rounded up). Proof: tr(W M_k(y)) = Σ_{j≤k} L(‖z‖^{2j}) (the multinomial expansion
    /// of (Σᵢ zᵢ²)^j); R^{2j} − ‖z‖^{2j} = (R² − ‖z‖²)·Σ_{i<j} R^{2(j−1−i)}‖z‖^{2i} with
    /// R² − ‖z‖² = g/q_min + Σᵢ(qᵢ/q_min − 1)zᵢ² for the tightest ball g: a multiple of g by an SOS of degree
    /// ≤ 2k − 2 plus an SOS of degree ≤ 2k, which the ball's localizing matrix and M_k(y) make nonnegative
    /// under L. For a ball's localizing matrix, tr(W M_{k−1}(g y)) = Σ_{j<k} L(g‖z‖^{2j}) and
    /// a‖z‖^{2j} − g‖z‖^{2j} = Σᵢ qᵢzᵢ²‖z‖^{2j} is an SOS of degree ≤ 2k. Empty where [`Self::moment_bounds`] is
    /// `None`.
    pub fn trace_weights(&self) -> Vec<crate::sdp::TraceWeights> {
        use crate::verified::{add_up, mul_up, pow_up};
        let balls = self.balls();
        let Some(r2) = balls.iter().map(|b| b.2).reduce(f64::min) else {
            return vec![];
        };
        let sum = |top: usize| (0..=top as u32).fold(0.0, |t, j| add_up(t, pow_up(r2, j)));
        let weights = |block: usize| -> Vec<f64> {
            self.sdp_block_rows(block)
                .iter()
                .map(|a| {
                    // |α|!/α!, exact in integers for the degrees of a relaxation.
                    let mut w: u128 = 1;
                    let mut seen: u128 = 0;
                    for &e in &a.0 {
                        for i in 1..=u128::from(e) {
                            seen += 1;
                            w = w * seen / i;
                        }
                    }
                    w as f64
                })
                .collect()
        };
        let k = self.order;
        let mut out = vec![];
        for (block, role) in self.roles.iter().enumerate() {
            let rows = self.sdp_block_rows(block);
            let degree_ok = |top: usize| {
                !rows.is_empty()
                    && rows.len() == crate::MonomialBasis::new(self.basis.nvars(), top).len()
                    && rows.iter().all(|a| a.degree() as usize <= top)
            };
            match role {
                BlockRole::Moment if degree_ok(k) => out.push(crate::sdp::TraceWeights {
                    block,
                    weights: weights(block),
                    bound: sum(k),
                }),
                BlockRole::Localizing(gs) if gs.len() == 1 && k >= 1 && degree_ok(k - 1) => {
                    if let Some(&(_, a, _)) = balls.iter().find(|b| b.0 == gs[0]) {
                        out.push(crate::sdp::TraceWeights {
                            block,
                            weights: weights(block),
                            bound: mul_up(a, sum(k - 1)),
                        });
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// The point read off the first-order moments (y_{e_i} of the row variables; the free variables filled in
    /// by [`Self::complete_point`]): the minimizer when M_k(y) has rank one. A term-sparse relaxation may
    /// lack some y_{e_i} (no block pairs 1 with z_i): that coordinate is 0.
    pub fn first_order_moments(&self, moments: &[f64]) -> Vec<f64> {
        let n = self.pop.nvars();
        let values: Vec<f64> = self
            .kept
            .iter()
            .map(|&i| {
                self.moment_index(&Monomial::variable(n, i))
                    .map_or(0.0, |k| moments[k])
            })
            .collect();
        self.complete_point(&values)
    }
}

/// The Gaussian measure N(center, sd² I) whose moments start the interior-point method
/// ([`MomentRelaxation::gaussian_start`]).
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianStart {
    /// Mean of the measure, one value per POP variable.
    pub center: Vec<f64>,
    /// Standard deviation of every coordinate.
    pub sd: f64,
}

impl GaussianStart {
    /// The measure chosen for a POP:
    /// - sd = 1, or R/(2√n) if the POP bounds its variables by a smaller ball R² − ‖z‖² ≥ 0 (a wider measure
    ///   would make the moment matrix ill-conditioned: its entries grow like sd^{2k});
    /// - the center is 0, except for an epigraph variable (an objective that is a single variable t, to be
    ///   minimized): t is centered where the inequalities linear in t, evaluated at 0, are just satisfied
    ///   (θ ≥ max_j ∓(f̂_j − ŷ_j)(0) for the paper's loss), at most R/2, so that the measure stays well
    ///   inside the ball.
    ///
    /// Its moments form a positive definite moment matrix (a measure with a density), and make most
    /// localizing matrices positive definite too.
    pub fn for_pop(pop: &Pop) -> GaussianStart {
        let n = pop.nvars();
        let radius = pop
            .inequalities
            .iter()
            .find_map(|g| ball_radius(g, n))
            .filter(|_| n > 0);
        let sd = radius.map_or(1.0, |r| (r / (2.0 * (n as f64).sqrt())).min(1.0));
        let mut center = vec![0.0; n];
        let objective: Vec<(&Monomial, f64)> =
            pop.objective.terms().filter(|(_, c)| *c != 0.0).collect();
        if let [(m, c)] = objective[..]
            && c > 0.0
            && m.degree() == 1
        {
            let t = m.0.iter().position(|&e| e == 1).expect("degree 1");
            let unit = Monomial::variable(n, t);
            let level = pop
                .inequalities
                .iter()
                .filter_map(|g| {
                    let b = g.coefficient(&unit);
                    (b > 0.0).then(|| -g.coefficient(&Monomial::one(n)) / b)
                })
                .fold(0.0f64, f64::max);
            center[t] = radius.map_or(level, |r| level.min(0.5 * r));
        }
        GaussianStart { center, sd }
    }
}

/// R if g = a(R² − ‖z‖²) for some a > 0 (a ball over all n variables).
pub(crate) fn ball_radius(g: &Polynomial, n: usize) -> Option<f64> {
    let mut constant = 0.0;
    let mut a = None;
    let mut squares = 0;
    for (m, c) in g.terms().filter(|(_, c)| *c != 0.0) {
        match m.degree() {
            0 => constant = c,
            2 if m.0.contains(&2) && c < 0.0 && a.is_none_or(|a: f64| a == -c) => {
                a = Some(-c);
                squares += 1;
            }
            _ => return None,
        }
    }
    let a = a?;
    (squares == n && constant > 0.0).then(|| (constant / a).sqrt())
}

/// E[(m + sZ)^k] for Z standard normal: Σ_j C(k, j) m^{k−j} s^j E[Z^j], E[Z^j] = (j − 1)!! for even j.
fn gaussian_moment_1d(mean: f64, sd: f64, k: usize) -> f64 {
    let mut sum = 0.0;
    let mut binomial = 1.0;
    let mut double_factorial = 1.0; // (j − 1)!! for the current even j
    for j in 0..=k {
        if j > 0 {
            binomial *= (k - j + 1) as f64 / j as f64;
        }
        if j % 2 == 0 {
            if j >= 2 {
                double_factorial *= (j - 1) as f64;
            }
            sum += binomial * mean.powi((k - j) as i32) * sd.powi(j as i32) * double_factorial;
        }
    }
    sum
}

impl MomentRelaxation {
    /// The SDP variables y₁..y_m (every basis monomial but the constant) of the moments of N(center, sd² I).
    ///
    /// # Panics
    /// If `center` does not have one value per POP variable.
    pub fn gaussian_moments(&self, start: &GaussianStart) -> Vec<f64> {
        let n = self.pop.nvars();
        assert_eq!(start.center.len(), n, "one center value per variable");
        (1..self.num_moments())
            .map(|i| {
                let m = self.moment_monomial(i);
                (0..n)
                    .map(|v| gaussian_moment_1d(start.center[v], start.sd, m.0[v] as usize))
                    .product()
            })
            .collect()
    }

    /// The starting point of the interior-point method for this relaxation: the moments of the Gaussian
    /// measure [`GaussianStart::for_pop`], passed to [`crate::sdp::solve_from`]. Compared with the standard
    /// X = ξI, Y = ηI this starts from a point of the moment cone (most blocks feasible, the dual centered),
    /// and takes 30–40% fewer iterations on the paper's order-3 relaxations (docs/BENCHMARKS.md).
    pub fn gaussian_start(&self) -> Vec<f64> {
        self.gaussian_moments(&GaussianStart::for_pop(&self.pop))
    }
}

/// Tag of the comment line in which [`MomentRelaxation::to_sdpa`] records the POP and the order.
pub const SDPA_RELAXATION_TAG: &str = "polyact-moment-relaxation";

impl MomentRelaxation {
    /// The SDP in SDPA sparse format, with one more comment line, `* polyact-moment-relaxation {"order": k,
    /// "pop": …}`, that records what it relaxes. Other solvers skip comments; [`Self::from_sdpa`] uses it to
    /// rebuild the structured blocks.
    pub fn to_sdpa(&self) -> String {
        let body = write_sdpa(&self.sdp);
        let theta_free = if self.free.is_empty() {
            ""
        } else {
            "\"theta_free\":true,"
        };
        let sparsity = if self.sparsity == Sparsity::None {
            String::new()
        } else {
            format!(
                "\"sparsity\":\"{}\",\"ts_steps\":{},",
                self.sparsity.name(),
                self.ts_steps
            )
        };
        let correlative = if self.cliques.is_some() {
            "\"correlative\":true,"
        } else {
            ""
        };
        let hint = format!(
            "* {SDPA_RELAXATION_TAG} {{\"order\":{},{theta_free}{sparsity}{correlative}\"pop\":{}}}\n",
            self.order,
            pop_to_json(&self.pop)
        );
        // After the first (title) line.
        match body.find('\n') {
            Some(i) => format!("{}{hint}{}", &body[..=i], &body[i + 1..]),
            None => hint + &body,
        }
    }

    /// The relaxation an SDPA file was written from by [`Self::to_sdpa`], if the file says so and the rebuilt
    /// relaxation reproduces the file exactly (every number of the file, written back, is the same text).
    /// `None` for any other file, or one edited since: it is then an SDP like any other.
    pub fn from_sdpa(text: &str, max_bytes: usize) -> Option<MomentRelaxation> {
        let prefix = format!("* {SDPA_RELAXATION_TAG} ");
        let line = text.lines().take(4).find(|l| l.starts_with(&prefix))?;
        #[derive(serde::Deserialize)]
        struct Hint {
            order: usize,
            #[serde(default)]
            theta_free: bool,
            #[serde(default)]
            sparsity: Sparsity,
            #[serde(default)]
            ts_steps: usize,
            #[serde(default)]
            correlative: bool,
            pop: serde_json::Value,
        }
        let hint: Hint = serde_json::from_str(&line[prefix.len()..]).ok()?;
        let pop = pop_from_json(&hint.pop.to_string(), "the SDPA comment")
            .ok()?
            .pop;
        let structure = Structure {
            theta_free: hint.theta_free,
            sparsity: hint.sparsity,
            ts_steps: hint.ts_steps,
            correlative: hint.correlative,
        };
        let relaxation =
            MomentRelaxation::with_structure(&pop, hint.order, max_bytes, structure).ok()?;
        (relaxation.to_sdpa() == text).then_some(relaxation)
    }
}

/// The localizing block of g (g = 1: a moment-matrix block) with rows/columns `rows`, its moments added to
/// `moments` (for the graded basis, its moments listed in the basis's order).
fn block(rows: &[Monomial], g: &Polynomial, moments: &mut Moments) -> ConstraintBlock {
    let size = rows.len();
    let mut small = ListedMoments::default();
    let mut sum_index = Vec::with_capacity(size * size);
    for u in rows {
        for v in rows {
            sum_index.push(small.insert(u.times(v)) as u32);
        }
    }
    if let Moments::Graded(basis) = moments {
        let mut order: Vec<usize> = (0..small.monomials.len()).collect();
        order.sort_by_key(|&i| basis.index(&small.monomials[i]));
        let mut rank = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i] = r as u32;
        }
        for s in &mut sum_index {
            *s = rank[*s as usize];
        }
        small.monomials = order.iter().map(|&i| small.monomials[i].clone()).collect();
    }
    let terms = g
        .terms()
        .map(|(gamma, coef)| ShiftTerm {
            coefficient: coef,
            target: small
                .monomials
                .iter()
                .map(|a| moments.index(&a.times(gamma)) as u32)
                .collect(),
        })
        .collect();
    ConstraintBlock::Localizing(LocalizingBlock::new(
        size,
        small.monomials.len(),
        sum_index,
        terms,
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sdp::{BlockMatrix, SdpSettings, solve};

    fn var(n: usize, i: usize) -> Polynomial {
        Polynomial::variable(n, i)
    }

    /// The POP of the paper's Example 3.4 (mean-inf loss), without a ball.
    pub(crate) fn example_3_4_pop() -> Pop {
        crate::pop::loss::network_pop(&crate::model::example_3_4(), crate::model::Loss::MeanInf)
            .unwrap()
            .pop
    }

    #[test]
    fn blocks_evaluate_to_moment_and_localizing_matrices() {
        // At the moments of a point z, X(y) must equal v(z)v(z)ᵀ and g(z)·v(z)v(z)ᵀ.
        let n = 2;
        let g = &Polynomial::constant(n, 2.0) - &var(n, 0).pow(2);
        let pop = Pop::new(
            vec!["a".into(), "b".into()],
            var(n, 1),
            vec![g.clone()],
            vec![],
        )
        .unwrap();
        let r = MomentRelaxation::new(&pop, 2, 1 << 30).unwrap();
        let z = [0.3, -1.2];
        let y: Vec<f64> = r
            .basis()
            .monomials()
            .iter()
            .map(|m| m.evaluate(&z))
            .collect();
        let xs = r.sdp().primal_slack(&y[1..]);
        let basis = r.basis();
        let BlockMatrix::Dense(mk) = &xs[0] else {
            panic!()
        };
        assert_eq!(mk.nrows(), 6);
        for u in 0..6 {
            for v in 0..6 {
                let expect = basis.monomial(u).evaluate(&z) * basis.monomial(v).evaluate(&z);
                assert!((mk[(u, v)] - expect).abs() < 1e-12);
            }
        }
        let BlockMatrix::Dense(lg) = &xs[1] else {
            panic!()
        };
        assert_eq!(lg.nrows(), 3);
        let gz = g.evaluate(&z) / 2.0; // scaled by its largest coefficient
        for u in 0..3 {
            for v in 0..3 {
                let expect = gz * basis.monomial(u).evaluate(&z) * basis.monomial(v).evaluate(&z);
                assert!((lg[(u, v)] - expect).abs() < 1e-12);
            }
        }
        assert_eq!(r.sdp().primal_objective(&y[1..]), z[1]);
    }

    #[test]
    fn univariate_bound_is_exact() {
        // min z s.t. 1 − z² ≥ 0 → −1 at order 1; the moment matrix has rank one.
        let n = 1;
        let pop = Pop::new(
            vec!["z".into()],
            var(n, 0),
            vec![&Polynomial::constant(n, 1.0) - &var(n, 0).pow(2)],
            vec![],
        )
        .unwrap();
        let r = MomentRelaxation::new(&pop, 1, 1 << 30).unwrap();
        let s = solve(r.sdp(), &SdpSettings::default()).unwrap();
        assert!(s.status.is_solved());
        assert!((s.dual_objective + 1.0).abs() < 1e-7);
        let y = r.moments(&s.x);
        assert!((r.first_order_moments(&y)[0] + 1.0).abs() < 1e-6);
    }

    #[test]
    fn gaussian_moments_follow_steins_recurrence() {
        // E[X^k] = m E[X^{k−1}] + (k − 1) s² E[X^{k−2}] for X ~ N(m, s²) (a second formulation).
        for (m, sd) in [(0.0, 1.0), (0.7, 0.3), (-2.0, 1.5)] {
            let (mut e2, mut e1) = (1.0, m);
            assert_eq!(gaussian_moment_1d(m, sd, 0), 1.0);
            assert!((gaussian_moment_1d(m, sd, 1) - m).abs() < 1e-15);
            for k in 2..=10 {
                let want = m * e1 + (k - 1) as f64 * sd * sd * e2;
                let got = gaussian_moment_1d(m, sd, k);
                assert!(
                    (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                    "k={k}: {got} vs {want}"
                );
                (e2, e1) = (e1, want);
            }
        }
    }

    /// The paper's POP with the ball: radius, spread and the epigraph variable's center are found; the moment
    /// vector is the product measure's; its moment matrix and the ball's localizing matrix are positive definite.
    #[test]
    fn gaussian_start_is_a_measure_inside_the_ball() {
        let base = example_3_4_pop();
        let pop = base.with_ball(4.0);
        let n = pop.nvars();
        let g = GaussianStart::for_pop(&pop);
        assert!((g.sd - 4.0 / (2.0 * (n as f64).sqrt())).abs() < 1e-15 && g.sd < 1.0);
        // A large ball or none: unit spread.
        assert_eq!(GaussianStart::for_pop(&base.with_ball(1e6)).sd, 1.0);
        assert_eq!(GaussianStart::for_pop(&base).sd, 1.0);
        // θ (the objective, last variable) is centered at the level where θ ± (f̂_j − ŷ_j)(0) ≥ 0 all hold
        // (capped at R/2); the coefficients at 0.
        let level = pop
            .inequalities
            .iter()
            .filter(|q| q.coefficient(&Monomial::variable(n, n - 1)) > 0.0)
            .map(|q| -q.evaluate(&vec![0.0; n]) / q.coefficient(&Monomial::variable(n, n - 1)))
            .fold(0.0f64, f64::max);
        assert!(level > 0.0);
        assert_eq!(g.center[n - 1], level.min(2.0));
        assert!(g.center[..n - 1].iter().all(|&c| c == 0.0));
        assert_eq!(ball_radius(pop.inequalities.last().unwrap(), n), Some(4.0));
        assert_eq!(ball_radius(&pop.inequalities[0], n), None);

        let r = MomentRelaxation::new(&pop, 2, 1 << 30).unwrap();
        let y = r.gaussian_start();
        assert_eq!(y.len(), r.sdp().num_vars());
        // y_α = Π_i E[z_i^α_i] for a few monomials, from the recurrence-checked 1-D moments.
        for i in [1, 5, 17, y.len()] {
            let m = r.basis().monomial(i);
            let want: f64 = (0..n)
                .map(|v| gaussian_moment_1d(g.center[v], g.sd, m.0[v] as usize))
                .product();
            assert_eq!(y[i - 1], want);
        }
        let xs = r.sdp().primal_slack(&y);
        let ball_block = r
            .roles()
            .iter()
            .position(|role| *role == BlockRole::Localizing(vec![pop.inequalities.len() - 1]))
            .unwrap();
        for k in [0, ball_block] {
            assert!(
                xs[k].min_eigenvalue() > 1e-6,
                "block {k}: {}",
                xs[k].min_eigenvalue()
            );
        }
    }

    /// The same relaxation solved from the standard start and from the Gaussian start, and from a poor start far
    /// outside the ball: the same optimal value, each answer checked by its own certificate.
    #[test]
    fn solves_from_any_start_agree() {
        let pop = example_3_4_pop().with_ball(5.0);
        let r = MomentRelaxation::new(&pop, 2, 1 << 30).unwrap();
        let settings = SdpSettings::default();
        let standard = solve(r.sdp(), &settings).unwrap();
        let m = r.sdp().num_vars();
        for x0 in [r.gaussian_start(), vec![1e3; m], vec![-0.5; m]] {
            let s = crate::sdp::solve_from(r.sdp(), &settings, &x0).unwrap();
            assert_eq!(s.status, crate::sdp::SdpStatus::Optimal);
            assert!(
                (s.dual_objective - standard.dual_objective).abs() < 1e-7,
                "{} vs {}",
                s.dual_objective,
                standard.dual_objective
            );
            let check = r.sdp().check(&s.x, &s.dual);
            assert!(check.dual_residual < 1e-8);
            assert!(check.primal_min_eigenvalue > -1e-9 && check.dual_min_eigenvalue > -1e-9);
            assert!((check.primal_objective - check.dual_objective).abs() < 1e-7);
        }
        // An absurd start does not panic, and whatever status it ends with is backed by its certificate.
        let s = crate::sdp::solve_from(r.sdp(), &settings, &vec![1e200; m]).unwrap();
        assert!(!s.status.is_solved() || r.sdp().check(&s.x, &s.dual).holds(1e-6));
        // Bad starting points are refused with a message naming the problem.
        let e = crate::sdp::solve_from(r.sdp(), &settings, &[0.0; 3]).unwrap_err();
        assert!(e.to_string().contains("starting point has 3 values"), "{e}");
        let mut bad = vec![0.0; m];
        bad[4] = f64::NAN;
        let e = crate::sdp::solve_from(r.sdp(), &settings, &bad).unwrap_err();
        assert!(
            e.to_string().contains("value 5 of the starting point"),
            "{e}"
        );
    }

    #[test]
    fn too_large_is_refused_before_allocation() {
        let n = 30;
        let pop = Pop::new(
            (0..n).map(|i| format!("z{i}")).collect(),
            var(n, 0),
            vec![],
            vec![],
        )
        .unwrap();
        let e = MomentRelaxation::new(&pop, 4, 4 << 30).unwrap_err();
        assert!(e.to_string().contains("moments"), "{e}");
    }

    #[test]
    fn sdpa_export_is_recognized_and_solves_like_the_general_file() {
        // Example 3.4 with the ball: the structured and the general representation of the same file must
        // reach the same optimum (two different Schur-complement assemblies).
        let pop = example_3_4_pop().with_ball(5.0);
        let r = MomentRelaxation::new(&pop, 2, 1 << 30).unwrap();
        let text = r.to_sdpa();
        let back = MomentRelaxation::from_sdpa(&text, 1 << 30).expect("recognized");
        assert_eq!(back.order(), 2);
        assert_eq!(back.pop().variable_names, pop.variable_names);
        let general = crate::sdp::sdpa::parse(&text, "export").unwrap();
        assert!(
            general
                .blocks()
                .iter()
                .all(|b| !matches!(b, ConstraintBlock::Localizing(_)))
        );
        let settings = SdpSettings::default();
        let a = solve(back.sdp(), &settings).unwrap();
        let b = solve(&general, &settings).unwrap();
        assert_eq!(a.status, crate::sdp::SdpStatus::Optimal);
        assert_eq!(b.status, crate::sdp::SdpStatus::Optimal);
        assert!(
            (a.primal_objective - b.primal_objective).abs() < 1e-7,
            "{} vs {}",
            a.primal_objective,
            b.primal_objective
        );
        // A changed number, a file without the comment, or a wrong order: not recognized.
        let last = text.trim_end().rsplit_once(' ').unwrap().0.len();
        let edited = format!("{}1.25e0\n", &text[..last + 1]);
        assert!(MomentRelaxation::from_sdpa(&edited, 1 << 30).is_none());
        let plain = crate::sdp::sdpa::write_sdpa(r.sdp());
        assert!(MomentRelaxation::from_sdpa(&plain, 1 << 30).is_none());
        let other_order = text.replacen("{\"order\":2,", "{\"order\":3,", 1);
        assert!(MomentRelaxation::from_sdpa(&other_order, 1 << 30).is_none());
    }
}

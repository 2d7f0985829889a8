//! Term sparsity (TSSOS: Wang, Magron, Lasserre, SIAM J. Optim. 2021; its chordal variant, SIAM J. Optim. 2021):
//! the moment matrix and each localizing matrix split into blocks read off a graph on their row monomials.
//!
//! For the matrix of a generator g_j (g₀ = 1 for the moment matrix) with rows B_j, the term-sparsity graph of
//! step s has the nodes B_j and an edge β–γ (β ≠ γ) when (β + γ + supp g_j) meets the support C^(s−1):
//! - C^(0) = supp f ∪ ⋃_j supp g_j ∪ {2β : β ∈ B₀} (the objective, the constraints, the even squares);
//! - C^(s) = C^(s−1) ∪ ⋃_j ⋃_{β, γ in one block of G_j^(s)} (β + γ + supp g_j) (the moments the blocks of step
//!   s use).
//!
//! The blocks of a graph are its connected components ([`Sparsity::Block`]) or the maximal cliques of an
//! approximately minimal chordal extension ([`Sparsity::Chordal`], greedy minimum-degree elimination). Each
//! block is a principal submatrix of the dense matrix, so the sparse relaxation is a relaxation of the dense
//! one: its bound is a valid lower bound, at most the dense bound. The supports grow with s and stabilize; in
//! block mode the stabilized relaxation has the dense bound (TSSOS, Theorem 3.3).
//!
//! Correlative sparsity (Waki, Kim, Kojima, Muramatsu 2006; Lasserre 2006; CS-TSSOS, Wang, Magron, Lasserre,
//! Navascués 2022) splits the variables instead: [`correlative_structure`] joins two variables when they meet
//! in a term of the objective or in a constraint, and the relaxation has one moment matrix per maximal clique
//! of a chordal extension of that graph, each constraint localized in a clique holding its variables.

use std::collections::{BTreeSet, HashSet};

use crate::polynomial::{Monomial, Polynomial};
use crate::pop::Pop;

/// Which term sparsity a relaxation exploits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sparsity {
    /// Dense matrices (no term sparsity).
    #[default]
    None,
    /// Connected components of the term-sparsity graph.
    Block,
    /// Maximal cliques of an approximately minimal chordal extension of the term-sparsity graph.
    Chordal,
    /// Chordal when its largest moment-matrix block is strictly smaller than the dense moment matrix, else
    /// none ([`resolve_auto`]). In a hierarchy (the default there) an order whose dense relaxation is
    /// predicted to fit the memory limit and the time left is dense (after correlative sparsity when the
    /// variables split into more than one clique and the dense relaxation is not cheap), one that does not
    /// fit has correlative sparsity when they split, and this rule decides the others.
    Auto,
}

impl Sparsity {
    /// Its name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Sparsity::None => "none",
            Sparsity::Block => "block",
            Sparsity::Chordal => "chordal",
            Sparsity::Auto => "auto",
        }
    }

    /// Every mode, in the order of the command line's help.
    pub const ALL: [Sparsity; 4] = [
        Sparsity::None,
        Sparsity::Block,
        Sparsity::Chordal,
        Sparsity::Auto,
    ];
}

impl std::str::FromStr for Sparsity {
    type Err = crate::error::Error;
    /// A mode by its [name](Sparsity::name); an error lists the known names.
    fn from_str(s: &str) -> crate::error::Result<Sparsity> {
        Sparsity::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Sparsity::ALL.iter().map(|m| m.name()).collect();
                crate::error::Error::InvalidInput(format!(
                    "unknown sparsity \"{s}\" (known: {})",
                    names.join(", ")
                ))
            })
    }
}

/// One matrix of the relaxation: its generator (1 for the moment matrix) and row monomials.
pub struct Generator<'a> {
    /// g_j (already in the form the relaxation localizes).
    pub polynomial: &'a Polynomial,
    /// The rows B_j.
    pub rows: &'a [Monomial],
}

/// The blocks of every matrix after `steps` steps (each a list of row indices, sorted, covering every row), for
/// `mode` Block or Chordal. `objective` and every generator's support enter C^(0); the squares of the first
/// generator's rows (the moment matrix) too.
pub fn term_sparsity_blocks(
    objective: &Polynomial,
    generators: &[Generator<'_>],
    mode: Sparsity,
    steps: usize,
) -> Vec<Vec<Vec<usize>>> {
    let mut support: HashSet<Monomial> = objective.terms().map(|(m, _)| m.clone()).collect();
    for g in generators {
        support.extend(g.polynomial.terms().map(|(m, _)| m.clone()));
    }
    if let Some(g0) = generators.first() {
        support.extend(g0.rows.iter().map(|b| b.times(b)));
    }
    let mut blocks = vec![];
    for _ in 0..steps.max(1) {
        blocks = generators
            .iter()
            .map(|g| blocks_of(&graph(g, &support), mode))
            .collect::<Vec<_>>();
        let before = support.len();
        for (g, bs) in generators.iter().zip(&blocks) {
            for b in bs {
                for (i, &u) in b.iter().enumerate() {
                    for &v in &b[i..] {
                        let uv = g.rows[u].times(&g.rows[v]);
                        for (a, _) in g.polynomial.terms() {
                            support.insert(uv.times(a));
                        }
                    }
                }
            }
        }
        if support.len() == before {
            break; // stabilized: the next step has the same graphs
        }
    }
    // Closure: the moment matrix's blocks are read off the final support, which holds every moment of the
    // localizing blocks. Without it a moment could appear in localizing blocks only; such moments enter the
    // SDP as columns that can be linearly dependent (two moments always met together with the same
    // coefficient), which makes the Schur complement singular. With it every moment is an entry of a
    // moment-matrix block, so the moment-to-matrix map is injective.
    if let (Some(g0), Some(b0)) = (generators.first(), blocks.first_mut()) {
        *b0 = blocks_of(&graph(g0, &support), mode);
    }
    blocks
}

/// The blocks of one graph: its connected components in block mode, else the maximal cliques of its chordal
/// extension.
fn blocks_of(adjacency: &[Vec<usize>], mode: Sparsity) -> Vec<Vec<usize>> {
    match mode {
        Sparsity::Block => components(adjacency),
        _ => chordal_cliques(adjacency),
    }
}

/// The term-sparsity graph of one matrix on support `support` (adjacency lists).
fn graph(g: &Generator<'_>, support: &HashSet<Monomial>) -> Vec<Vec<usize>> {
    let n = g.rows.len();
    let mut adjacency = vec![vec![]; n];
    let terms: Vec<&Monomial> = g.polynomial.terms().map(|(m, _)| m).collect();
    for u in 0..n {
        for v in u + 1..n {
            let uv = g.rows[u].times(&g.rows[v]);
            if terms.iter().any(|a| support.contains(&uv.times(a))) {
                adjacency[u].push(v);
                adjacency[v].push(u);
            }
        }
    }
    adjacency
}

/// The connected components (each sorted; in order of their smallest node).
pub fn components(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let mut seen = vec![false; n];
    let mut out = vec![];
    for s in 0..n {
        if seen[s] {
            continue;
        }
        seen[s] = true;
        let mut stack = vec![s];
        let mut comp = vec![];
        while let Some(u) = stack.pop() {
            comp.push(u);
            for &v in &adjacency[u] {
                if !seen[v] {
                    seen[v] = true;
                    stack.push(v);
                }
            }
        }
        comp.sort_unstable();
        out.push(comp);
    }
    out
}

/// The maximal cliques of the chordal extension made by greedy minimum-degree elimination: repeatedly eliminate
/// a node of least degree in the remaining graph, joining its remaining neighbours into a clique (fill edges).
/// Each eliminated node with its remaining neighbours is a clique of the extension; the maximal ones are kept
/// (each sorted; every node lies in at least one).
pub fn chordal_cliques(adjacency: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let mut adj: Vec<BTreeSet<usize>> = adjacency
        .iter()
        .map(|a| a.iter().copied().collect())
        .collect();
    let mut alive = vec![true; n];
    // Buckets by degree would be faster; a heap of (degree, node) with lazy deletion suffices here.
    let mut heap: std::collections::BinaryHeap<std::cmp::Reverse<(usize, usize)>> = (0..n)
        .map(|u| std::cmp::Reverse((adj[u].len(), u)))
        .collect();
    let mut cliques: Vec<Vec<usize>> = vec![];
    while let Some(std::cmp::Reverse((d, u))) = heap.pop() {
        if !alive[u] || d != adj[u].len() {
            continue;
        }
        alive[u] = false;
        let nbrs: Vec<usize> = adj[u].iter().copied().collect();
        let mut clique = nbrs.clone();
        clique.push(u);
        clique.sort_unstable();
        cliques.push(clique);
        for &v in &nbrs {
            adj[v].remove(&u);
        }
        for (i, &v) in nbrs.iter().enumerate() {
            for &w in &nbrs[i + 1..] {
                if adj[v].insert(w) {
                    adj[w].insert(v);
                }
            }
        }
        for &v in &nbrs {
            heap.push(std::cmp::Reverse((adj[v].len(), v)));
        }
    }
    maximal(cliques)
}

/// The sets not contained in another (each sorted), largest first.
fn maximal(mut sets: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
    sets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut kept: Vec<Vec<usize>> = vec![];
    let mut containing: std::collections::HashMap<usize, Vec<usize>> = Default::default();
    for s in sets {
        let Some(&first) = s.first() else { continue };
        let inside = containing.get(&first).is_some_and(|ks| {
            ks.iter()
                .any(|&k| s.iter().all(|x| kept[k].binary_search(x).is_ok()))
        });
        if !inside {
            for &x in &s {
                containing.entry(x).or_default().push(kept.len());
            }
            kept.push(s);
        }
    }
    kept
}

/// Where correlative sparsity localizes an inequality.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// In this clique (an index into [`CorrelativeStructure::cliques`]), which holds all its variables.
    Clique(usize),
    /// A ball a − Σᵢ qᵢzᵢ² over these variables (qᵢ > 0), which no clique holds: localized in every clique c
    /// meeting them as a − Σ_{i ∈ c} qᵢzᵢ² ≥ 0, implied by it.
    Split(Vec<usize>),
}

/// The correlative sparsity of a POP ([`correlative_structure`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrelativeStructure {
    /// The maximal cliques of the chordal extension, each a sorted list of variables (POP indices); every
    /// row variable lies in at least one.
    pub cliques: Vec<Vec<usize>>,
    /// For each localized inequality (in the order given), where it is localized.
    pub placement: Vec<Placement>,
    /// For each equality of the POP, a clique holding its variables.
    pub equality_cliques: Vec<usize>,
}

/// The variables of a ball a − Σᵢ qᵢzᵢ² (a > 0, every qᵢ > 0, at least two of them), or `None`.
fn separable_ball(g: &Polynomial) -> Option<Vec<usize>> {
    let mut squares = vec![];
    let mut constant = 0.0;
    for (m, c) in g.terms().filter(|(_, c)| *c != 0.0) {
        match m.degree() {
            0 => constant = c,
            2 if c < 0.0 => squares.push(m.0.iter().position(|&e| e == 2)?),
            _ => return None,
        }
    }
    (constant > 0.0 && squares.len() >= 2).then(|| {
        squares.sort_unstable();
        squares
    })
}

/// The correlative sparsity of `pop` over the row variables `rows` (POP indices; other variables join
/// nothing), for the inequalities `localized` as the relaxation localizes them ((index, g, row degree)):
/// the variables of each term of the objective, of each inequality that is not a ball, and of each equality
/// form cliques of the graph; a ball a − Σᵢ qᵢzᵢ² joins no variables and is split across the cliques
/// ([`Placement::Split`]) unless one clique holds it. Every clique of the graph lies in a maximal clique of
/// its chordal extension, so each inequality and equality has a clique.
pub fn correlative_structure(
    pop: &Pop,
    rows: &[usize],
    localized: &[(usize, Polynomial, usize)],
) -> CorrelativeStructure {
    let n = pop.nvars();
    let mut position = vec![None; n];
    for (p, &v) in rows.iter().enumerate() {
        position[v] = Some(p);
    }
    // The row positions of the variables of a monomial, and of a polynomial's nonzero terms.
    let vars_of = |m: &Monomial| -> Vec<usize> {
        (0..n)
            .filter(|&v| m.0[v] > 0)
            .filter_map(|v| position[v])
            .collect()
    };
    let support = |g: &Polynomial| -> Vec<usize> {
        let mut s: BTreeSet<usize> = BTreeSet::new();
        for (m, c) in g.terms() {
            if c != 0.0 {
                s.extend(vars_of(m));
            }
        }
        s.into_iter().collect()
    };
    let balls: Vec<Option<Vec<usize>>> = localized
        .iter()
        .map(|(_, g, _)| separable_ball(g))
        .collect();
    let mut supports: Vec<Vec<usize>> = pop
        .objective
        .terms()
        .filter(|(_, c)| *c != 0.0)
        .map(|(m, _)| vars_of(m))
        .collect();
    for ((_, g, _), ball) in localized.iter().zip(&balls) {
        if ball.is_none() {
            supports.push(support(g));
        }
    }
    let equality_supports: Vec<Vec<usize>> = pop.equalities.iter().map(&support).collect();
    supports.extend(equality_supports.iter().cloned());
    let mut adjacency: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); rows.len()];
    for s in &supports {
        for (i, &u) in s.iter().enumerate() {
            for &v in &s[i + 1..] {
                adjacency[u].insert(v);
                adjacency[v].insert(u);
            }
        }
    }
    let adjacency: Vec<Vec<usize>> = adjacency
        .into_iter()
        .map(|a| a.into_iter().collect())
        .collect();
    let positions = chordal_cliques(&adjacency);
    let holding = |s: &[usize]| {
        positions
            .iter()
            .position(|c| s.iter().all(|x| c.binary_search(x).is_ok()))
            .expect("every clique of the graph lies in a maximal clique of its extension")
    };
    let placement = localized
        .iter()
        .zip(&balls)
        .map(|((_, g, _), ball)| match ball {
            None => Placement::Clique(holding(&support(g))),
            Some(vars) => {
                let s: Vec<usize> = vars.iter().filter_map(|&v| position[v]).collect();
                match positions
                    .iter()
                    .position(|c| s.iter().all(|x| c.binary_search(x).is_ok()))
                {
                    Some(c) => Placement::Clique(c),
                    None => Placement::Split(vars.clone()),
                }
            }
        })
        .collect();
    let equality_cliques = equality_supports.iter().map(|s| holding(s)).collect();
    let cliques = positions
        .iter()
        .map(|c| {
            let mut vars: Vec<usize> = c.iter().map(|&p| rows[p]).collect();
            vars.sort_unstable();
            vars
        })
        .collect();
    CorrelativeStructure {
        cliques,
        placement,
        equality_cliques,
    }
}

/// The mode [`Sparsity::Auto`] stands for, given the moment matrix's blocks in chordal mode and its dense
/// side: chordal when its largest block is strictly smaller, else none.
pub fn resolve_auto(chordal_moment_blocks: &[Vec<usize>], dense_side: usize) -> Sparsity {
    let largest = chordal_moment_blocks
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    if largest < dense_side {
        Sparsity::Chordal
    } else {
        Sparsity::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adjacency(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
        let mut a = vec![vec![]; n];
        for &(u, v) in edges {
            a[u].push(v);
            a[v].push(u);
        }
        a
    }

    /// Is every pair within each clique an edge of a chordal supergraph of `edges`? Checked by: every edge
    /// lies in some clique, and the cliques satisfy the running intersection property in some order (a
    /// clique tree exists), which holds exactly for the maximal cliques of a chordal graph.
    fn covers_edges(cliques: &[Vec<usize>], edges: &[(usize, usize)]) -> bool {
        edges
            .iter()
            .all(|&(u, v)| cliques.iter().any(|c| c.contains(&u) && c.contains(&v)))
    }

    #[test]
    fn components_of_two_paths_and_an_isolated_node() {
        let a = adjacency(6, &[(0, 2), (2, 4), (1, 3)]);
        assert_eq!(components(&a), vec![vec![0, 2, 4], vec![1, 3], vec![5]]);
    }

    #[test]
    fn a_chordal_graph_keeps_its_maximal_cliques() {
        // Two triangles sharing an edge (chordal): cliques {0,1,2} and {1,2,3}, no fill.
        let edges = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)];
        let mut c = chordal_cliques(&adjacency(4, &edges));
        c.sort();
        assert_eq!(c, vec![vec![0, 1, 2], vec![1, 2, 3]]);
    }

    #[test]
    fn a_cycle_is_triangulated() {
        // The 5-cycle is not chordal: its extension adds 2 chords, giving 3 triangles.
        let edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)];
        let c = chordal_cliques(&adjacency(5, &edges));
        assert_eq!(c.len(), 3);
        assert!(c.iter().all(|k| k.len() == 3));
        assert!(covers_edges(&c, &edges));
        // A path (a tree) needs no fill: its cliques are its edges.
        let path = [(0, 1), (1, 2), (2, 3)];
        let mut c = chordal_cliques(&adjacency(4, &path));
        c.sort();
        assert_eq!(c, vec![vec![0, 1], vec![1, 2], vec![2, 3]]);
    }

    #[test]
    fn auto_picks_chordal_only_when_smaller() {
        assert_eq!(
            resolve_auto(&[vec![0, 1], vec![1, 2]], 3),
            Sparsity::Chordal
        );
        assert_eq!(resolve_auto(&[vec![0, 1, 2]], 3), Sparsity::None);
    }

    #[test]
    fn univariate_support_gives_the_expected_graph() {
        // f = x⁴ + x on rows 1, x, x²: C⁰ = {x⁴, x, 1, x², x⁴} so edges 1–x (x), and x–x²? x³ ∉ C⁰: no;
        // 1–x²: x² ∈ C⁰: yes. Components: all one block.
        let n = 1;
        let x = Polynomial::variable(n, 0);
        let f = &x.pow(4) + &x;
        let one = Polynomial::constant(n, 1.0);
        let rows: Vec<Monomial> = (0..3).map(|d| Monomial(vec![d])).collect();
        let gens = [Generator {
            polynomial: &one,
            rows: &rows,
        }];
        let b = term_sparsity_blocks(&f, &gens, Sparsity::Chordal, 1);
        let mut c = b[0].clone();
        c.sort();
        assert_eq!(c, vec![vec![0, 1], vec![0, 2]]);
        let b = term_sparsity_blocks(&f, &gens, Sparsity::Block, 1);
        assert_eq!(b[0], vec![vec![0, 1, 2]]);
    }
}

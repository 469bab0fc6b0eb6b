//! sinfo's output: the partition summary (`%P` with `*` on the default
//! partition, one line per partition and node state), `-N` node lines,
//! `-l`, `-s`, `-R`, `-o` letters and `-O` names, the GRES column
//! (`gpu:h100:8`) and node state names (`idle`, `mix`, `alloc`, `drain`,
//! `drng`, `down`).
//!
//! Lines group the nodes of a partition that agree on every per-node value
//! the format shows, which is what sinfo does with `-e`; partitions without
//! a matching node still get a line (`0 n/a`).

use std::fmt::Write as _;

use sk8_backend::{NodeInfo, NodeState, PartitionInfo};

use crate::job::Context;
use crate::squeue::{split_long_token, split_token, tokens};
use crate::text::{WidthBudget, pad_into, width_error};
use crate::time::sinfo_limit;

/// The default summary (as `-O`, which is how sinfo 22.05 defines it).
pub const SUMMARY: &str =
    "partition:9 ,available:.5 ,time:.10 ,nodes:.6 ,statecompact:.6 ,nodelist:0";
/// `-l`.
pub const SUMMARY_LONG: &str = "partition:9 ,available:.5 ,time:.10 ,size:.10 ,root:.4 ,oversubscribe:.8 ,groups:.10 ,nodes:.6 ,statelong:.11 ,nodelist:0";
/// `-N`.
pub const NODES: &str = "nodelist:0 ,nodes:.6 ,partition:.9 ,statecompact:6";
/// `-N -l`.
pub const NODES_LONG: &str = "nodelist:0 ,nodes:.6 ,partition:.9 ,statelong:.11 ,cpus:4 ,socketcorethread:.8 ,memory:.6 ,disk:.8 ,weight:.6 ,features:.8 ,reason:20";
/// `-s`.
pub const SUMMARIZE: &str = "partition:9 ,available:.5 ,time:.10 ,nodeaiot:.16 ,nodelist:0";
/// `-R`.
pub const REASONS: &str = "reason:20 ,user:9 ,timestamp:19 ,nodelist:0";
/// `-R -l`.
pub const REASONS_LONG: &str = "reason:20 ,userlong:12 ,timestamp:19 ,statecompact:6 ,nodelist:0";

macro_rules! node_fields {
    ($($var:ident $letter:literal [$($name:literal),*] $header:literal $per_node:literal;)*) => {
        /// One column sinfo can print.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[allow(missing_docs)]
        pub enum NodeField { $($var,)* }

        impl NodeField {
            /// Every field.
            pub const ALL: &'static [NodeField] = &[$(NodeField::$var,)*];

            /// The `-o` letter.
            pub fn letter(self) -> Option<char> {
                match self { $(NodeField::$var => { let c: char = $letter; (c != ' ').then_some(c) })* }
            }

            /// The `-O` names.
            pub fn names(self) -> &'static [&'static str] {
                match self { $(NodeField::$var => &[$($name),*],)* }
            }

            /// The header.
            pub fn header(self) -> &'static str {
                match self { $(NodeField::$var => $header,)* }
            }

            /// Whether nodes must agree on this value to share a line.
            fn per_node(self) -> bool {
                match self { $(NodeField::$var => $per_node,)* }
            }
        }
    };
}

node_fields! {
    Avail 'a' ["available"] "AVAIL" false;
    NodesAi 'A' ["nodeai"] "NODES(A/I)" false;
    Cpus 'c' ["cpus"] "CPUS" true;
    CpusAiot 'C' ["cpusstate"] "CPUS(A/I/O/T)" false;
    Disk 'd' ["disk"] "TMP_DISK" true;
    Nodes 'D' ["nodes"] "NODES" false;
    FreeMem 'e' ["freemem"] "FREE_MEM" true;
    Reason 'E' ["reason"] "REASON" true;
    Features 'f' ["features"] "AVAIL_FEATURES" true;
    NodesAiot 'F' ["nodeaiot"] "NODES(A/I/O/T)" false;
    Groups 'g' ["groups"] "GROUPS" false;
    Gres 'G' ["gres"] "GRES" true;
    OverSubscribe 'h' ["oversubscribe", "share"] "OVERSUBSCRIBE" false;
    Timestamp 'H' ["timestamp"] "TIMESTAMP" true;
    Time 'l' ["time"] "TIMELIMIT" false;
    DefaultTime 'L' ["defaulttime"] "DEFAULTTIME" false;
    Memory 'm' ["memory"] "MEMORY" true;
    Hostnames 'n' ["nodehost"] "HOSTNAMES" false;
    NodeList 'N' ["nodelist"] "NODELIST" false;
    NodeAddr 'o' ["nodeaddr"] "NODE_ADDR" false;
    CpuLoad 'O' ["cpusload"] "CPU_LOAD" true;
    Partition 'P' ["partition"] "PARTITION" false;
    Root 'r' ["root"] "ROOT" false;
    PartitionName 'R' ["partitionname"] "PARTITION" false;
    Size 's' ["size"] "JOB_SIZE" false;
    StateCompact 't' ["statecompact"] "STATE" true;
    StateLong 'T' ["statelong"] "STATE" true;
    User 'u' ["user"] "USER" true;
    UserLong 'U' ["userlong"] "USER" true;
    Weight 'w' ["weight"] "WEIGHT" true;
    Sockets 'X' ["sockets"] "SOCKETS" true;
    Cores 'Y' ["cores"] "CORES" true;
    Threads 'Z' ["threads"] "THREADS" true;
    Sct 'z' ["socketcorethread"] "S:C:T" true;
    AllocMem ' ' ["allocmem"] "ALLOCMEM" true;
    GresUsed ' ' ["gresused"] "GRES_USED" true;
}

impl NodeField {
    /// Whether the value belongs to the partition (so lines split by partition).
    fn is_partition_field(self) -> bool {
        matches!(
            self,
            Self::Partition
                | Self::PartitionName
                | Self::Avail
                | Self::Time
                | Self::DefaultTime
                | Self::Size
                | Self::Root
                | Self::Groups
                | Self::OverSubscribe
        )
    }

    fn from_letter(c: char) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.letter() == Some(c))
    }

    fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.names().contains(&lower.as_str()))
    }
}

/// A node's GRES as sinfo's `%G` prints it: `gpu:h100:8`, `(null)` for none.
pub fn node_gres(node: &NodeInfo) -> String {
    if node.gpus.is_empty() {
        return "(null)".to_owned();
    }
    node.gpus
        .iter()
        .map(|(kind, n)| match kind {
            Some(k) => format!("gpu:{k}:{n}"),
            None => format!("gpu:{n}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The compact state sinfo prints (`idle`, `mix`, `alloc`, `drain`, `drng`,
/// `down`); `responding` false adds the `*` of a node that stopped answering.
pub fn state_compact(state: NodeState, responding: bool) -> String {
    let mut s = state.short().to_owned();
    if !responding {
        s.push('*');
    }
    s
}

/// The long state (`%T`): `idle`, `mixed`, `allocated`, `drained`, `draining`, `down`.
pub fn state_long(state: NodeState) -> String {
    state.long().to_ascii_lowercase()
}

/// One piece of a sinfo format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Text(String),
    Field {
        field: NodeField,
        width: i32,
        right: bool,
        suffix: String,
    },
}

/// A parsed sinfo format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    items: Vec<Item>,
    errors: Vec<String>,
    /// Partition and node list widths follow the longest value (the default layouts).
    auto_width: bool,
    /// One line per node (`-N`).
    per_node: bool,
}

/// Which default layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// `-N`.
    pub node_oriented: bool,
    /// `-l`.
    pub long: bool,
    /// `-s`.
    pub summarize: bool,
    /// `-R`.
    pub reasons: bool,
}

impl Format {
    /// A default layout.
    pub fn default_layout(layout: Layout) -> Self {
        let spec = if layout.summarize {
            SUMMARIZE
        } else if layout.node_oriented {
            if layout.long { NODES_LONG } else { NODES }
        } else if layout.reasons {
            if layout.long { REASONS_LONG } else { REASONS }
        } else if layout.long {
            SUMMARY_LONG
        } else {
            SUMMARY
        };
        let mut f = Self::parse_long(spec);
        f.auto_width = !layout.reasons;
        f.per_node = layout.node_oriented;
        f
    }

    /// Parses `-o` (also `SINFO_FORMAT`); `node_oriented` is `-N`.
    pub fn parse(format: &str, node_oriented: bool) -> Self {
        let mut items = Vec::new();
        let mut errors = Vec::new();
        let (prefix, toks) = tokens(format);
        if let Some(p) = prefix {
            items.push(Item::Text(p.to_owned()));
        }
        let mut budget = WidthBudget::new();
        for tok in toks {
            let (right, mut width, letter, suffix) = split_token(tok);
            match letter.and_then(NodeField::from_letter) {
                Some(field) => {
                    width = budget.fit(width, &mut errors, || {
                        width_error("node", &format!("%{tok}"))
                    });
                    items.push(Item::Field {
                        field,
                        width,
                        right,
                        suffix: suffix.to_owned(),
                    });
                }
                None => {
                    errors.push(format!(
                        "Invalid node format specification: {}",
                        letter.map(String::from).unwrap_or_default()
                    ));
                    items.push(Item::Text(format!("%{tok}")));
                }
            }
        }
        Self {
            items,
            errors,
            auto_width: false,
            per_node: node_oriented,
        }
    }

    /// Parses `-O` (also `SINFO_FORMAT` in its long form).
    pub fn parse_long(list: &str) -> Self {
        let mut items = Vec::new();
        let mut errors = Vec::new();
        let mut budget = WidthBudget::new();
        for tok in list.split(',').filter(|t| !t.is_empty()) {
            let (name, right, mut width, suffix) = split_long_token(tok);
            match NodeField::from_name(name) {
                Some(field) => {
                    width = budget.fit(width, &mut errors, || width_error("node", tok));
                    items.push(Item::Field {
                        field,
                        width,
                        right,
                        suffix: suffix.to_owned(),
                    });
                }
                None => errors.push(format!("Invalid node format specification: {name}")),
            }
        }
        Self {
            items,
            errors,
            auto_width: false,
            per_node: false,
        }
    }

    /// Sets `-N` on a parsed format.
    pub fn node_oriented(mut self, yes: bool) -> Self {
        self.per_node = yes;
        self
    }

    /// What sinfo reports on standard error while parsing.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }
}

/// The nodes of one output line.
#[derive(Debug, Clone)]
struct Group<'a> {
    part: &'a PartitionInfo,
    nodes: Vec<&'a NodeInfo>,
}

/// Which nodes and partitions to show (`-p`, `-n`, `-t`, `-R`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFilter {
    /// `-p`: partitions.
    pub partitions: Vec<String>,
    /// `-n`: node names.
    pub nodes: Vec<String>,
    /// `-t`: states (`idle`, `mix`, `alloc`, `drain`, `drng`, `down`, or long names).
    pub states: Vec<NodeState>,
    /// `-R`: only nodes with a reason.
    pub with_reason: bool,
}

/// Parses a `-t` state name (`idle`, `mix`, `MIXED`, `alloc`, `drain`, ...).
pub fn parse_node_state(name: &str) -> Option<NodeState> {
    use NodeState as N;
    [
        N::Idle,
        N::Mixed,
        N::Allocated,
        N::Drained,
        N::Draining,
        N::Down,
        N::Unknown,
    ]
    .into_iter()
    .find(|s| name.eq_ignore_ascii_case(s.short()) || name.eq_ignore_ascii_case(s.long()))
    .or_else(|| name.eq_ignore_ascii_case("drain").then_some(N::Drained))
}

fn node_value(field: NodeField, n: &NodeInfo) -> String {
    match field {
        NodeField::Cpus => n.cpus.to_string(),
        NodeField::Disk => "0".to_owned(),
        NodeField::FreeMem => n.memory_mb.saturating_sub(n.memory_alloc_mb).to_string(),
        NodeField::Reason => n.reason.clone().unwrap_or_else(|| "none".to_owned()),
        NodeField::Features => {
            if n.features.is_empty() {
                "(null)".to_owned()
            } else {
                n.features.join(",")
            }
        }
        NodeField::Gres => node_gres(n),
        NodeField::Timestamp => "Unknown".to_owned(),
        NodeField::Memory => n.memory_mb.to_string(),
        NodeField::CpuLoad => "N/A".to_owned(),
        NodeField::StateCompact => state_compact(n.state, true),
        NodeField::StateLong => state_long(n.state),
        NodeField::User | NodeField::UserLong => "Unknown".to_owned(),
        NodeField::Weight => "1".to_owned(),
        NodeField::Sockets | NodeField::Threads => "1".to_owned(),
        NodeField::Cores => n.cpus.to_string(),
        NodeField::Sct => format!("1:{}:1", n.cpus),
        NodeField::AllocMem => n.memory_alloc_mb.to_string(),
        NodeField::GresUsed => {
            if n.gpus.is_empty() {
                "(null)".to_owned()
            } else {
                format!("gpu:{}", n.gpus_alloc)
            }
        }
        _ => String::new(),
    }
}

/// Renders sinfo's output for `nodes` and `parts` (header unless `no_header`).
pub fn render(
    format: &Format,
    parts: &[PartitionInfo],
    nodes: &[NodeInfo],
    filter: &NodeFilter,
    ctx: &Context,
    no_header: bool,
) -> String {
    let mut groups: Vec<Group<'_>> = Vec::new();
    let per_node_fields: Vec<NodeField> = format
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Field { field, .. } if field.per_node() => Some(*field),
            _ => None,
        })
        .collect();
    let selected: Vec<&PartitionInfo> = parts
        .iter()
        .filter(|p| filter.partitions.is_empty() || filter.partitions.contains(&p.name))
        .collect();
    // Without a partition column, sinfo shows each node once, whatever
    // partitions it is in.
    let by_partition = format
        .items
        .iter()
        .any(|i| matches!(i, Item::Field { field, .. } if field.is_partition_field()));
    let merged;
    let selected = if by_partition {
        selected
    } else {
        let mut all_nodes: Vec<String> = Vec::new();
        for p in &selected {
            for n in &p.nodes {
                if !all_nodes.contains(n) {
                    all_nodes.push(n.clone());
                }
            }
        }
        merged = PartitionInfo {
            name: String::new(),
            default: false,
            up: true,
            max_time: sk8_spec::TimeLimit::Unlimited,
            default_time: None,
            nodes: all_nodes,
        };
        vec![&merged]
    };
    for part in selected {
        let first = groups.len();
        for name in &part.nodes {
            let Some(node) = nodes.iter().find(|n| &n.name == name) else {
                continue;
            };
            if !filter.nodes.is_empty() && !filter.nodes.contains(&node.name) {
                continue;
            }
            if !filter.states.is_empty() && !filter.states.contains(&node.state) {
                continue;
            }
            if filter.with_reason && node.reason.is_none() {
                continue;
            }
            let same = |g: &Group<'_>| {
                !format.per_node
                    && per_node_fields
                        .iter()
                        .all(|f| node_value(*f, g.nodes[0]) == node_value(*f, node))
            };
            match groups[first..].iter_mut().find(|g| same(g)) {
                Some(g) => g.nodes.push(node),
                None => groups.push(Group {
                    part,
                    nodes: vec![node],
                }),
            }
        }
        if groups.len() == first && !filter.with_reason {
            groups.push(Group {
                part,
                nodes: Vec::new(),
            });
        }
    }
    let part_width = groups
        .iter()
        .map(|g| g.part.name.len() + usize::from(g.part.default))
        .max()
        .unwrap_or(0)
        .max(9) as i32;
    let node_width = groups
        .iter()
        .map(|g| node_list(g).len())
        .max()
        .unwrap_or(0)
        .max(9) as i32;
    let mut out = String::new();
    if !no_header {
        for item in &format.items {
            match item {
                Item::Text(t) => out.push_str(t),
                Item::Field {
                    field,
                    width,
                    right,
                    suffix,
                } => {
                    let w = auto_width(format, *field, *width, part_width, node_width);
                    let cut = *field != NodeField::NodeList;
                    pad_into(&mut out, field.header(), w, *right, cut);
                    out.push_str(suffix);
                }
            }
        }
        out.push('\n');
    }
    for g in &groups {
        for item in &format.items {
            match item {
                Item::Text(t) => out.push_str(t),
                Item::Field {
                    field,
                    width,
                    right,
                    suffix,
                } => {
                    let w = auto_width(format, *field, *width, part_width, node_width);
                    let v = group_value(*field, g, w, ctx);
                    pad_into(&mut out, &v, w, *right, true);
                    out.push_str(suffix);
                }
            }
        }
        out.push('\n');
    }
    out
}

fn auto_width(f: &Format, field: NodeField, width: i32, part: i32, node: i32) -> i32 {
    match field {
        NodeField::Partition if f.auto_width => part,
        NodeField::NodeList if f.auto_width && f.per_node => node,
        _ => width,
    }
}

fn node_list(g: &Group<'_>) -> String {
    let names: Vec<&str> = g.nodes.iter().map(|n| n.name.as_str()).collect();
    sk8_hostlist::compress(&names)
}

fn group_value(field: NodeField, g: &Group<'_>, width: i32, _ctx: &Context) -> String {
    let p = g.part;
    let count = g.nodes.len();
    let alloc = g
        .nodes
        .iter()
        .filter(|n| {
            matches!(
                n.state,
                NodeState::Allocated | NodeState::Mixed | NodeState::Draining
            )
        })
        .count();
    let other = g
        .nodes
        .iter()
        .filter(|n| {
            matches!(
                n.state,
                NodeState::Down | NodeState::Drained | NodeState::Unknown
            )
        })
        .count();
    match field {
        NodeField::Avail => (if p.up { "up" } else { "down" }).to_owned(),
        NodeField::NodesAi => format!("{alloc}/{}", count - alloc - other),
        NodeField::CpusAiot => {
            let total: u32 = g.nodes.iter().map(|n| n.cpus).sum();
            let a: u32 = g.nodes.iter().map(|n| n.cpus_alloc).sum();
            let o: u32 = g
                .nodes
                .iter()
                .filter(|n| matches!(n.state, NodeState::Down | NodeState::Drained))
                .map(|n| n.cpus - n.cpus_alloc)
                .sum();
            format!("{a}/{}/{o}/{total}", total - a - o)
        }
        NodeField::Nodes => count.to_string(),
        NodeField::NodesAiot => format!("{alloc}/{}/{other}/{count}", count - alloc - other),
        NodeField::Groups => "all".to_owned(),
        NodeField::OverSubscribe => "NO".to_owned(),
        NodeField::Time => sinfo_limit(p.max_time),
        NodeField::DefaultTime => p.default_time.map_or_else(|| "n/a".to_owned(), sinfo_limit),
        NodeField::Hostnames | NodeField::NodeList => node_list(g),
        NodeField::NodeAddr => {
            let addrs: Vec<&str> = g.nodes.iter().map(|n| n.addr.as_str()).collect();
            addrs.join(",")
        }
        NodeField::Partition => {
            let mut name = p.name.clone();
            if p.default {
                let w = width.max(0) as usize;
                if w == 0 || name.len() < w {
                    name.push('*');
                } else {
                    // Back off to a character boundary: `truncate` panics
                    // inside a UTF-8 character.
                    let mut end = w - 1;
                    while !name.is_char_boundary(end) {
                        end -= 1;
                    }
                    name.truncate(end);
                    name.push('*');
                }
            }
            name
        }
        NodeField::PartitionName => p.name.clone(),
        NodeField::Root => "no".to_owned(),
        NodeField::Size => "1-infinite".to_owned(),
        NodeField::StateCompact | NodeField::StateLong if g.nodes.is_empty() => "n/a".to_owned(),
        f => g
            .nodes
            .first()
            .map_or_else(String::new, |n| node_value(f, n)),
    }
}

/// The `-l` date line (see [`crate::squeue::date_line`]).
pub fn date_line(ctx: &Context) -> String {
    let mut s = String::new();
    let _ = write!(s, "{}", crate::time::ctime(ctx.now, &ctx.zone));
    s
}

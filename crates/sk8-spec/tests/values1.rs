//! Value types part 1 (time, memory, GRES, arrays, nodes, distribution, open mode, mail): tables, round trips and the real-Slurm oracle.

#[path = "values1/array.rs"]
mod array;
#[path = "values1/distribution.rs"]
mod distribution;
#[path = "values1/gres.rs"]
mod gres;
#[path = "values1/mail.rs"]
mod mail;
#[path = "values1/mem.rs"]
mod mem;
#[path = "values1/nodes.rs"]
mod nodes;
#[path = "values1/open_mode.rs"]
mod open_mode;
#[path = "values1/reference.rs"]
mod reference;
#[path = "values1/roundtrip.rs"]
mod roundtrip;
#[path = "values1/time.rs"]
mod time;

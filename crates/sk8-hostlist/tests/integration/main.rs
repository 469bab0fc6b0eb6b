//! Integration tests for sk8-hostlist: table cases, property round trips, and a differential run against real `scontrol`.

mod cases;
mod limits;
mod oracle;
mod roundtrip;

//! Integration tests of sk8-step with real processes on 127.0.0.1: the
//! agent (`sk8-agent serve`) driven by the client, and the built `srun`
//! inside a fake allocation of virtual nodes.

mod step {
    pub mod agent;
    pub mod harness;
    pub mod hostile;
    pub mod srun;
}

//! Integration tests of sk8-directive: one test binary, one module per concern.

mod corpus;
mod reference;
mod roundtrip;
mod scan;
mod support;

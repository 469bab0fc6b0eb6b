//! JobSpec to Kubernetes objects, and Kubernetes statuses back to Slurm states (pure: no I/O).
//!
//! One sbatch job is one pod group: a record ConfigMap `sk8-job-<id>` (the
//! script, the resolved spec, the submit time), a token Secret, a headless
//! Service, an optional gang-scheduler PodGroup and one Pod per node. The
//! backend (`sk8-kube`) creates what [`render`] returns and asks
//! [`status::job_info`] what the objects it reads mean in Slurm's terms.

pub mod config;
pub mod labels;
pub mod names;
mod render;
pub mod shape;
pub mod status;
mod yaml;

pub use render::{
    JobObjects, MAX_RECORD_BYTES, RenderError, RenderInput, WAIT_COMMAND, container_image,
    container_mount, environment_of, partition_of, render, spec_of, time_limit_of, unsupported,
};
pub use shape::{NodeShape, gpu_type, node_shapes};

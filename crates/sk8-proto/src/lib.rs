//! The step protocol (DESIGN.md §4): what `srun`, the job supervisor and
//! `sk8-agent` say to each other over TCP. Pure: messages and the frame
//! codec, no sockets.
//!
//! # Frames
//!
//! Every frame is `len: u32 BE | version: u8 | kind: u8 | task: u32 BE |
//! payload`, where `len` counts the bytes after itself. Control messages
//! carry a JSON payload ([`Request`], [`Event`]); standard streams carry raw
//! bytes with the task they belong to, so output is never re-encoded. A frame
//! of another version is refused, and so is one longer than [`MAX_FRAME`].
//!
//! # Conversation
//!
//! The client opens a connection and sends [`Request::Hello`] with the job's
//! token; the agent compares it in constant time and answers
//! [`Event::Welcome`] or [`Event::Refused`] (then closes). Then one request
//! per connection: [`Request::Launch`] (a step's tasks on this node) or
//! [`Request::RunBatch`] (the batch script), followed by stdin/signal frames
//! from the client and stdout/stderr/exit frames from the agent, ending with
//! [`Event::Done`]; or [`Request::Shutdown`] (end every task of the job on
//! this node and exit).

// The messages themselves are being written; see the brief in the lead's
// notes. This placeholder keeps the workspace building.

//! The checks of the `step_frames` fuzz target, shared with the corpus
//! replay test: any bytes, read as a stream of step protocol frames.

use sk8_proto::{
    Error, Frame, HEADER_AFTER_LEN, Kind, MAX_FRAME, read_frame, read_frame_limited, write_frame,
};

/// The agent's limit for the unauthenticated `Hello`.
const HELLO_LIMIT: u32 = 64 << 10;

/// Reads frames from `data` until it ends or a frame is refused; every
/// frame read must be exactly the bytes it came from, decode (or fail to)
/// as its kind says, and a request or event that decodes must survive a
/// round trip. The small-limit reader must agree with the full one.
/// Returns how many requests and events decoded.
pub fn check_frames(data: &[u8]) -> (usize, usize) {
    let (mut requests, mut events) = (0, 0);
    let mut rest = data;
    loop {
        let before = rest;
        let limited = read_frame_limited(&mut &before[..], HELLO_LIMIT);
        let result = read_frame(&mut rest);
        let frame = match result {
            Ok(Some(f)) => f,
            Ok(None) => {
                assert!(before.is_empty(), "end of stream with bytes left");
                assert!(matches!(limited, Ok(None)));
                return (requests, events);
            }
            Err(e) => {
                assert!(
                    matches!(
                        e,
                        Error::Io(_)
                            | Error::Version { .. }
                            | Error::TooLong { .. }
                            | Error::TooShort(_)
                            | Error::Kind(_)
                    ),
                    "{e:?}"
                );
                if let Error::TooLong { len, limit } = e {
                    assert!(len > limit && limit == MAX_FRAME);
                }
                return (requests, events);
            }
        };
        let used = before.len() - rest.len();
        let len = u32::from_be_bytes([before[0], before[1], before[2], before[3]]);
        assert_eq!(used, 4 + len as usize);
        assert!((HEADER_AFTER_LEN..=MAX_FRAME).contains(&len));
        assert_eq!(
            frame.encode(),
            &before[..used],
            "a frame re-encodes to its bytes"
        );
        match limited {
            Ok(Some(small)) => assert_eq!(small, frame),
            Err(Error::TooLong { limit, .. }) => {
                assert_eq!(limit, HELLO_LIMIT);
                assert!(len > HELLO_LIMIT);
            }
            other => panic!("the limited reader disagrees: {other:?}"),
        }
        match frame.kind {
            Kind::Request => {
                if let Ok(req) = frame.to_request() {
                    let again = Frame::request(&req);
                    assert_eq!(again.to_request().ok(), Some(req));
                    requests += 1;
                }
                assert!(frame.to_event().is_err());
            }
            Kind::Event => {
                if let Ok(ev) = frame.to_event() {
                    let again = Frame::event(&ev);
                    assert_eq!(again.to_event().ok(), Some(ev));
                    events += 1;
                }
                assert!(frame.to_request().is_err());
            }
            Kind::Stdin | Kind::Stdout | Kind::Stderr => {
                assert!(frame.to_request().is_err() && frame.to_event().is_err());
            }
        }
        let mut wire = Vec::new();
        write_frame(&mut wire, &frame).expect("a frame that was read can be written");
        assert_eq!(wire, &before[..used]);
    }
}

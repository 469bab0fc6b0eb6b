//! Property tests: `parse(display(x)) == x` for every value parsed from text.

use proptest::prelude::*;
use sk8_spec::{BeginSpec, Constraint, Dependency, ExportSpec, FilePattern, SignalSpec};

fn roundtrip<T>(input: &str)
where
    T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = input.parse::<T>() {
        let shown = value.to_string();
        let back = shown.parse::<T>().ok();
        assert_eq!(back.as_ref(), Some(&value), "{input:?} -> {shown:?}");
    }
}

proptest! {
    #[test]
    fn dependency(s in "((after|afterok|afterany|afternotok|aftercorr|singleton|[0-9]{1,3})(:[0-9]{1,3}(_[0-9*]|_\\[[0-9],[0-9]\\])?(\\+[0-9])?){0,3}[,?]?){1,4}") {
        roundtrip::<Dependency>(&s);
    }

    #[test]
    fn signal(s in "[RBrb]{0,2}:?(SIG)?(USR1|usr2|TERM|KILL|[0-9]{1,6}|FOO)(@[0-9]{0,6})?") {
        roundtrip::<SignalSpec>(&s);
    }

    #[test]
    fn export(s in "[A-Z=a,'\"]{0,16}") {
        roundtrip::<ExportSpec>(&s);
    }

    #[test]
    fn pattern(s in "[%ajJAxNntusz0-9.\\\\/-]{0,16}") {
        roundtrip::<FilePattern>(&s);
    }

    #[test]
    fn constraint(s in "[ab&|,*2()\\[\\]]{0,12}") {
        roundtrip::<Constraint>(&s);
    }

    #[test]
    fn begin(s in "(now|today|tomorrow|noon|[0-2][0-9]:[0-5][0-9](pm)?|1[0-2]/[0-3][0-9](/[0-9]{2})?|now\\+[0-9]{1,3}(hours|days)?)( |T|-){0,1}(noon|[0-9]{2}:[0-9]{2})?") {
        roundtrip::<BeginSpec>(&s);
    }
}

//! "Did you mean …?" suggestions for Quadlet keys.

pub use crate::suggest::closest;
#[cfg(test)]
use crate::suggest::distance;

/// `" (did you mean `X=`?)"` or an empty string.
pub fn did_you_mean_key<'a, I>(word: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    closest(word, candidates)
        .map(|c| {
            if c.eq_ignore_ascii_case(word) {
                format!(" (keys are case-sensitive: did you mean `{c}=`?)")
            } else {
                format!(" (did you mean `{c}=`?)")
            }
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("Image", "Image"), 0);
        assert_eq!(distance("image", "Image"), 0);
        assert_eq!(distance("Imgae", "Image"), 2);
        assert_eq!(distance("PublishPorts", "PublishPort"), 1);
        assert_eq!(distance("", "abc"), 3);
    }

    #[test]
    fn closest_candidate() {
        let keys = ["Image", "ImageTag", "PublishPort", "Volume", "User"];
        assert_eq!(closest("image", keys), Some("Image"));
        assert_eq!(closest("PublishPorts", keys), Some("PublishPort"));
        assert_eq!(closest("Volumes", keys), Some("Volume"));
        assert_eq!(closest("Completely", keys), None);
        assert_eq!(closest("Image", keys), None, "exact match is no suggestion");
        assert_eq!(
            did_you_mean_key("image", keys),
            " (keys are case-sensitive: did you mean `Image=`?)"
        );
        assert_eq!(did_you_mean_key("Usr", keys), " (did you mean `User=`?)");
        assert_eq!(did_you_mean_key("Zzzzzz", keys), "");
    }
}

//! MAC addresses as iPXE, dnsmasq and manifests write them: six bytes of
//! hex separated by `:` or `-` (iPXE's `hexhyp`), or twelve hex digits.

use std::fmt;
use std::str::FromStr;

/// A NIC's hardware address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac([u8; 6]);

impl FromStr for Mac {
    type Err = String;

    fn from_str(text: &str) -> Result<Mac, String> {
        let digits: Vec<u8> = if text.len() == 17 {
            let separator = text.as_bytes()[2];
            if separator != b':' && separator != b'-' {
                return Err(format!("{text:?} is not a MAC address"));
            }
            let mut digits = Vec::with_capacity(12);
            for (i, byte) in text.bytes().enumerate() {
                if i % 3 == 2 {
                    if byte != separator {
                        return Err(format!("{text:?} is not a MAC address"));
                    }
                } else {
                    digits.push(byte);
                }
            }
            digits
        } else if text.len() == 12 {
            text.bytes().collect()
        } else {
            return Err(format!("{text:?} is not a MAC address"));
        };
        if !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(format!("{text:?} is not a MAC address"));
        }
        let mut mac = [0u8; 6];
        for (slot, pair) in mac.iter_mut().zip(digits.chunks(2)) {
            *slot = pair
                .iter()
                .fold(0u8, |value, digit| (value << 4) | hex_value(*digit));
        }
        Ok(Mac(mac))
    }
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit
            .to_ascii_lowercase()
            .wrapping_sub(b'a')
            .wrapping_add(10),
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::Mac;

    #[test]
    fn accepts_the_usual_spellings() {
        for text in ["52:54:00:BE:a0:01", "52-54-00-be-a0-01", "525400bea001"] {
            let mac: Mac = text.parse().expect(text);
            assert_eq!(mac.to_string(), "52:54:00:be:a0:01");
        }
    }

    #[test]
    fn refuses_the_rest() {
        for text in [
            "",
            "52:54:00:be:a0",
            "52:54-00:be:a0:01",
            "52:54:00:be:a0:0g",
            "+2:54:00:be:a0:01",
            "525400bea00",
            "52:54:00:be:a0:01:",
        ] {
            assert!(text.parse::<Mac>().is_err(), "{text}");
        }
    }
}

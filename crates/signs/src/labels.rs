//! The classifier's label set and the spelling of labels found in the data sources.

/// The 24 static letters (J and Z need motion, see [`crate::motion`]).
pub const LETTERS: [&str; 24] = [
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T",
    "U", "V", "W", "X", "Y",
];
/// Commits the current word.
pub const SPACE: &str = "space";
/// Removes the last letter.
pub const DELETE: &str = "delete";
/// A hand that is not making a sign (resting, in transition, unclear).
pub const NOTHING: &str = "nothing";

/// Letters recognised from motion only.
pub const MOTION_LETTERS: [&str; 2] = ["J", "Z"];

/// Every class of the default classifier, in output order.
pub fn all_classes() -> Vec<String> {
    LETTERS
        .iter()
        .copied()
        .chain([SPACE, DELETE, NOTHING])
        .map(str::to_string)
        .collect()
}

/// Canonical spelling of a label from any source: single letters upper-case, the folder names
/// `Space`, `Del`, `Nothing` (any case) as [`SPACE`], [`DELETE`], [`NOTHING`]; anything else kept as is.
pub fn normalize(raw: &str) -> String {
    let t = raw.trim();
    let lower = t.to_ascii_lowercase();
    match lower.as_str() {
        "space" => SPACE.to_string(),
        "del" | "delete" => DELETE.to_string(),
        "nothing" => NOTHING.to_string(),
        _ if t.len() == 1 && t.chars().all(|c| c.is_ascii_alphabetic()) => t.to_ascii_uppercase(),
        _ => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_names_map_to_class_labels() {
        assert_eq!(normalize("Del"), DELETE);
        assert_eq!(normalize("Space"), SPACE);
        assert_eq!(normalize("Nothing"), NOTHING);
        assert_eq!(normalize("a"), "A");
        assert_eq!(normalize("I Love You"), "I Love You");
    }

    #[test]
    fn class_list_has_27_entries_without_j_and_z() {
        let c = all_classes();
        assert_eq!(c.len(), 27);
        assert!(!c.iter().any(|l| l == "J" || l == "Z"));
    }
}

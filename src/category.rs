//! Which qBittorrent categories a worker owns: its own and, with `MatchSubcategories`, those
//! below it (`movies/4k` under `movies`) that no more specific owner claims. Pure: the
//! config resolves who yields what once ([`resolve`]); the view, the decision core and
//! `explain` ask [`Subcategories::owns`].

/// A worker's subcategory matching.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subcategories {
    /// MatchSubcategories: categories below the worker's own are its too.
    pub matched: bool,
    /// Categories of other owners below the worker's own, each with whether that owner
    /// takes its subcategories too: theirs, not this worker's.
    pub yielded: Vec<(String, bool)>,
}

impl Subcategories {
    /// Whether a torrent in `category` belongs to the worker whose own category is `own`.
    pub fn owns(&self, own: &str, category: &str) -> bool {
        if category == own {
            return true;
        }
        self.matched
            && is_below(category, own)
            && !self
                .yielded
                .iter()
                .any(|(other, subs)| category == other || (*subs && is_below(category, other)))
    }
}

/// Whether `category` is a subcategory of `parent`, at any depth (`a/b/c` is below `a` and
/// `a/b`; `ab` is below neither).
pub fn is_below(category: &str, parent: &str) -> bool {
    !parent.is_empty()
        && category
            .strip_prefix(parent)
            .is_some_and(|rest| rest.len() > 1 && rest.starts_with('/'))
}

/// Each owner's [`Subcategories`], from every owner's (category, MatchSubcategories), in the
/// same order: an owner yields the categories of the others below its own, so the most
/// specific owner of a torrent's category wins.
pub fn resolve(owners: &[(&str, bool)]) -> Vec<Subcategories> {
    owners
        .iter()
        .map(|&(own, matched)| Subcategories {
            matched,
            yielded: if matched {
                owners
                    .iter()
                    .filter(|(other, _)| is_below(other, own))
                    .map(|&(other, subs)| (other.to_string(), subs))
                    .collect()
            } else {
                Vec::new()
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_means_under_a_slash_at_any_depth() {
        for (category, parent, below) in [
            ("movies/4k", "movies", true),
            ("movies/4k/hdr", "movies", true),
            ("movies/4k/hdr", "movies/4k", true),
            ("movies", "movies", false),
            ("movies4k", "movies", false),
            ("movies/", "movies", false),
            ("tv/4k", "movies", false),
            ("movies/4k", "", false),
            ("/x", "", false),
        ] {
            assert_eq!(is_below(category, parent), below, "{category:?} below {parent:?}");
        }
    }

    #[test]
    fn the_most_specific_owner_wins() {
        // movies (with subcategories), movies/4k (with), movies/kids (without), tv (without).
        let owners = [
            ("movies", true),
            ("movies/4k", true),
            ("movies/kids", false),
            ("tv", false),
        ];
        let subs = resolve(&owners);
        let owner_of = |category: &str| -> Vec<&str> {
            owners
                .iter()
                .zip(&subs)
                .filter(|((own, _), s)| s.owns(own, category))
                .map(|((own, _), _)| *own)
                .collect()
        };
        for (category, expected) in [
            ("movies", vec!["movies"]),
            ("movies/hd", vec!["movies"]),
            ("movies/hd/x", vec!["movies"]),
            ("movies/4k", vec!["movies/4k"]),
            ("movies/4k/hdr", vec!["movies/4k"]),
            ("movies/kids", vec!["movies/kids"]),
            // movies/kids does not take its subcategories: the next owner up does.
            ("movies/kids/old", vec!["movies"]),
            ("tv", vec!["tv"]),
            ("tv/anime", vec![]),
            ("moviesx", vec![]),
            ("", vec![]),
        ] {
            assert_eq!(owner_of(category), expected, "{category:?}");
        }
    }

    #[test]
    fn without_match_subcategories_only_the_category_itself() {
        let subs = resolve(&[("movies", false), ("movies/4k", false)]);
        assert_eq!(subs[0], Subcategories::default());
        assert!(subs[0].owns("movies", "movies"));
        assert!(!subs[0].owns("movies", "movies/hd"));
        assert!(!subs[0].owns("movies", "movies/4k"));
    }
}

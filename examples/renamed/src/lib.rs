//! A tally kept with the derives on a crate that depends on eventwright as `ew`: no
//! `#[eventwright(crate = ...)]` anywhere, since the derives read the name from Cargo.toml.

use ew::{Aggregate, Apply, Command, DomainRejection, Event, Handle};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Event)]
pub struct Counted {
    pub by: u32,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error, DomainRejection)]
pub enum TallyRejection {
    #[error("a tally counts by at least one")]
    #[rejection(code = "zero", field = "by", invalid)]
    Zero,
}

#[derive(Debug, Default, Aggregate)]
#[aggregate(id = String, event = Counted, rejection = TallyRejection)]
pub struct Tally {
    pub total: u32,
}

impl Apply<Counted> for Tally {
    fn apply(&mut self, event: &Counted) {
        self.total += event.by;
    }
}

#[derive(Debug, Command)]
#[command(aggregate = Tally, creates)]
pub struct Count {
    pub id: String,
    pub by: u32,
}

impl Handle<Count> for Tally {
    fn handle(&self, command: &Count) -> Result<Vec<Counted>, TallyRejection> {
        if command.by == 0 {
            return Err(TallyRejection::Zero);
        }
        Ok(vec![Counted { by: command.by }])
    }
}

#[cfg(test)]
mod tests {
    use ew::testing::given;

    use super::*;

    #[test]
    fn the_derives_reach_the_renamed_crate() {
        let tally = given::<Tally>([])
            .when(Count {
                id: "t".into(),
                by: 2,
            })
            .then_expect_events([Counted { by: 2 }]);
        assert_eq!(tally.total, 2);
        given::<Tally>([])
            .when(Count {
                id: "t".into(),
                by: 0,
            })
            .then_expect_rejection(TallyRejection::Zero);
    }
}

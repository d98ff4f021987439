#!/usr/bin/env python3
"""Measures what the derives cost at `cargo check` time.

Generates two crates with the same 100 aggregates (each: an event enum of three kinds, the
aggregate, two commands, a projection), one with `#[derive(...)]`, one with the impls written
out by hand, then times `cargo check` of each with hyperfine (deps built once beforehand).

    python3 macros/bench/derive_check.py [--aggregates 100] [--runs 10]

Crates and their target dir go under target/derive-bench/, outside the workspace build.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "target" / "derive-bench"

COMMON = """
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opened{i} {{ pub owner: String }}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Moved{i} {{ pub amount: i64 }}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closed{i} {{}}

impl Apply<Opened{i}> for Agg{i} {{
    fn apply(&mut self, event: &Opened{i}) {{ self.owner.clone_from(&event.owner); }}
}}
impl Apply<Moved{i}> for Agg{i} {{
    fn apply(&mut self, event: &Moved{i}) {{ self.balance += event.amount; }}
}}
impl Apply<Closed{i}> for Agg{i} {{
    fn apply(&mut self, _: &Closed{i}) {{ self.closed = true; }}
}}
impl Handle<Open{i}> for Agg{i} {{
    fn handle(&self, c: &Open{i}) -> Result<Vec<Event{i}>, Rejection> {{
        Ok(vec![Event{i}::Opened(Opened{i} {{ owner: c.owner.clone() }})])
    }}
}}
impl Handle<Move{i}> for Agg{i} {{
    fn handle(&self, c: &Move{i}) -> Result<Vec<Event{i}>, Rejection> {{
        Ok(vec![Event{i}::Moved(Moved{i} {{ amount: c.amount }})])
    }}
}}
impl Project<Opened{i}> for Row{i} {{
    fn project(_: Option<Self>, e: &Opened{i}, env: &EventEnvelope) -> Change<Self> {{
        Change::Upsert(Row{i} {{ id: env.aggregate_id.clone(), owner: e.owner.clone(), balance: 0 }})
    }}
}}
impl Project<Moved{i}> for Row{i} {{
    fn project(row: Option<Self>, e: &Moved{i}, _: &EventEnvelope) -> Change<Self> {{
        match row {{ Some(r) => Change::Upsert(Row{i} {{ balance: r.balance + e.amount, ..r }}), None => Change::Keep }}
    }}
}}
"""

DERIVED = """
#[derive(Debug, Clone, PartialEq, Event)]
pub enum Event{i} {{
    #[event(name = "Opened{i}", version = 2, upcast(from = 1, with = up))]
    Opened(Opened{i}),
    Moved(Moved{i}),
    Closed(Closed{i}),
}}
#[derive(Debug, Default, Aggregate)]
#[aggregate(id = String, event = Event{i}, name = "agg{i}")]
pub struct Agg{i} {{ owner: String, balance: i64, closed: bool }}
#[derive(Debug, Command)]
#[command(aggregate = Agg{i}, creates)]
pub struct Open{i} {{ pub id: String, pub owner: String }}
#[derive(Debug, Command)]
#[command(aggregate = Agg{i})]
pub struct Move{i} {{ #[command(id)] pub account: String, pub amount: i64 }}
#[derive(Debug, Serialize, Deserialize, Projection)]
#[projection(event = Event{i}, key = id, ignore(Closed{i}))]
pub struct Row{i} {{ pub id: String, #[projection(index)] pub owner: String, pub balance: i64 }}
"""

HANDWRITTEN = """
#[derive(Debug, Clone, PartialEq)]
pub enum Event{i} {{
    Opened(Opened{i}),
    Moved(Moved{i}),
    Closed(Closed{i}),
}}
impl From<Opened{i}> for Event{i} {{ fn from(e: Opened{i}) -> Self {{ Self::Opened(e) }} }}
impl From<Moved{i}> for Event{i} {{ fn from(e: Moved{i}) -> Self {{ Self::Moved(e) }} }}
impl From<Closed{i}> for Event{i} {{ fn from(e: Closed{i}) -> Self {{ Self::Closed(e) }} }}
impl Event for Event{i} {{
    const NAMES: &'static [&'static str] = &["Opened{i}", "Moved", "Closed"];
    fn event_type(&self) -> &'static str {{
        match self {{ Self::Opened(_) => "Opened{i}", Self::Moved(_) => "Moved", Self::Closed(_) => "Closed" }}
    }}
    fn event_version(&self) -> u32 {{
        match self {{ Self::Opened(_) => 2, Self::Moved(_) => 1, Self::Closed(_) => 1 }}
    }}
    fn encode(&self) -> Result<Value, serde_json::Error> {{
        match self {{
            Self::Opened(e) => serde_json::to_value(e),
            Self::Moved(e) => serde_json::to_value(e),
            Self::Closed(e) => serde_json::to_value(e),
        }}
    }}
    fn decode(t: &str, v: u32, mut payload: Value) -> Result<Option<Self>, DecodeError> {{
        let err = |e: serde_json::Error| DecodeError::new(t, v, e);
        let check = |oldest: u32, current: u32| {{
            if v < oldest || v > current {{ Err(DecodeError::new(t, v, "unsupported version")) }} else {{ Ok(()) }}
        }};
        match t {{
            "Opened{i}" => {{
                check(1, 2)?;
                if v <= 1 {{ payload = up(payload).map_err(|r| DecodeError::new(t, v, r))?; }}
                serde_json::from_value(payload).map(|e| Some(Self::Opened(e))).map_err(err)
            }}
            "Moved" => {{ check(1, 1)?; serde_json::from_value(payload).map(|e| Some(Self::Moved(e))).map_err(err) }}
            "Closed" => {{ check(1, 1)?; serde_json::from_value(payload).map(|e| Some(Self::Closed(e))).map_err(err) }}
            _ => Ok(None),
        }}
    }}
}}
#[derive(Debug, Default)]
pub struct Agg{i} {{ owner: String, balance: i64, closed: bool }}
impl Aggregate for Agg{i} {{
    const TYPE: &'static str = "agg{i}";
    type Id = String;
    type Event = Event{i};
    fn apply_event(&mut self, event: &Event{i}) {{
        match event {{
            Event{i}::Opened(e) => self.apply(e),
            Event{i}::Moved(e) => self.apply(e),
            Event{i}::Closed(e) => self.apply(e),
        }}
    }}
}}
#[derive(Debug)]
pub struct Open{i} {{ pub id: String, pub owner: String }}
impl Command for Open{i} {{
    type Aggregate = Agg{i};
    const NAME: &'static str = "open{i}";
    const CREATES: bool = true;
    fn aggregate_id(&self) -> &String {{ &self.id }}
}}
#[derive(Debug)]
pub struct Move{i} {{ pub account: String, pub amount: i64 }}
impl Command for Move{i} {{
    type Aggregate = Agg{i};
    const NAME: &'static str = "move{i}";
    fn aggregate_id(&self) -> &String {{ &self.account }}
}}
#[derive(Debug, Serialize, Deserialize)]
pub struct Row{i} {{ pub id: String, pub owner: String, pub balance: i64 }}
impl Projection for Row{i} {{
    const NAME: &'static str = "row{i}";
    const SCHEMA: TableSchema<'static> = TableSchema {{
        name: "row{i}",
        key: "id",
        columns: &[
            ColumnDef {{ name: "id", ty: <String as Column>::TYPE, nullable: <String as Column>::NULLABLE }},
            ColumnDef {{ name: "owner", ty: <String as Column>::TYPE, nullable: <String as Column>::NULLABLE }},
            ColumnDef {{ name: "balance", ty: <i64 as Column>::TYPE, nullable: <i64 as Column>::NULLABLE }},
        ],
        indexed: &["owner"],
    }};
    type Event = Event{i};
    fn row_key(event: &Event{i}, env: &EventEnvelope) -> Value {{
        match event {{
            Event{i}::Opened(e) => <Self as Project<Opened{i}>>::key(e, env),
            Event{i}::Moved(e) => <Self as Project<Moved{i}>>::key(e, env),
            Event{i}::Closed(_) => Value::String(env.aggregate_id.clone()),
        }}
    }}
    fn project_event(row: Option<Self>, event: &Event{i}, env: &EventEnvelope) -> Change<Self> {{
        match event {{
            Event{i}::Opened(e) => <Self as Project<Opened{i}>>::project(row, e, env),
            Event{i}::Moved(e) => <Self as Project<Moved{i}>>::project(row, e, env),
            Event{i}::Closed(_) => Change::Keep,
        }}
    }}
}}
"""

PRELUDE = """#![allow(dead_code, unused_imports)]
use eventwright::table::{{Column, ColumnDef, TableSchema}};
use eventwright::{{Aggregate, Apply, Change, Command, DecodeError, Event, EventEnvelope, Handle, Project, Projection, Rejection}};
use serde::{{Deserialize, Serialize}};
use serde_json::Value;

pub fn up(payload: Value) -> Result<Value, String> {{
    Ok(payload)
}}
"""


def write_crate(name: str, body: str, count: int) -> pathlib.Path:
    crate = OUT / name
    shutil.rmtree(crate, ignore_errors=True)
    (crate / "src").mkdir(parents=True)
    runtime = ROOT / "runtime"
    (crate / "Cargo.toml").write_text(
        f"""[package]
name = "{name}"
version = "0.0.0"
edition = "2024"
publish = false

[workspace]

[dependencies]
eventwright = {{ path = "{runtime}", default-features = false, features = ["derive"] }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"
"""
    )
    source = PRELUDE.format() + "".join(
        (body + COMMON).format(i=i) for i in range(count)
    )
    (crate / "src" / "lib.rs").write_text(source)
    return crate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--aggregates", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    target = OUT / "target"
    crates = [
        write_crate("derived", DERIVED, args.aggregates),
        write_crate("handwritten", HANDWRITTEN, args.aggregates),
    ]
    env = {"CARGO_TARGET_DIR": str(target)}
    for crate in crates:
        # Builds the dependencies once, and proves both crates compile.
        subprocess.run(
            ["cargo", "check", "-q", "--manifest-path", str(crate / "Cargo.toml")],
            check=True,
            env={**os.environ, **env},
        )
    commands = []
    for crate in crates:
        commands += [
            "--prepare",
            f"touch {crate}/src/lib.rs",
            "-n",
            crate.name,
            f"CARGO_TARGET_DIR={target} cargo check -q --manifest-path {crate}/Cargo.toml",
        ]
    subprocess.run(
        [
            "hyperfine",
            "--warmup",
            "1",
            "--runs",
            str(args.runs),
            "--export-json",
            str(OUT / "results.json"),
            *commands,
        ],
        check=True,
    )
    results = json.loads((OUT / "results.json").read_text())["results"]
    for result in results:
        print(f"{result['command'].split()[-1]}: median {result['median']:.3f} s")


if __name__ == "__main__":
    main()

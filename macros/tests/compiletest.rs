//! Every derive's diagnostics, pinned: each `tests/ui/<topic>/*.rs` is compiled and its errors
//! compared with the `.stderr` beside it. `domain` and `hygiene` hold programs that must compile
//! and run. Regenerate with `TRYBUILD=overwrite`, then read every changed `.stderr`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/domain/*.rs");
    t.pass("tests/ui/hygiene/*.rs");
    t.compile_fail("tests/ui/event/*.rs");
    t.compile_fail("tests/ui/aggregate/*.rs");
    t.compile_fail("tests/ui/command/*.rs");
    t.compile_fail("tests/ui/decision/*.rs");
    t.compile_fail("tests/ui/fact/*.rs");
    t.compile_fail("tests/ui/projection/*.rs");
    t.compile_fail("tests/ui/policy/*.rs");
    t.compile_fail("tests/ui/process/*.rs");
    t.compile_fail("tests/ui/handle/*.rs");
    t.compile_fail("tests/ui/rejection/*.rs");
    t.compile_fail("tests/ui/testing/*.rs");
}

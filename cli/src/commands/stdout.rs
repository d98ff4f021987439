//! Printing results to standard output. A reader that stops early (`eventwright graph | head
//! -1`) closes the pipe; that is its choice, not a failure, so the command ends there with
//! success instead of panicking as `println!` would.

use std::fmt;
use std::io::{ErrorKind, Write};

/// `print!` that ends the process quietly once nobody reads the output.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::commands::stdout::write(format_args!($($arg)*))
    };
}

/// `println!` that ends the process quietly once nobody reads the output.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::commands::stdout::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {out, outln};

pub fn write(text: fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        if error.kind() == ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {error}");
        std::process::exit(i32::from(super::PROBLEM));
    }
}

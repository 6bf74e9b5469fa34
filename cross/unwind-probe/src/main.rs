//! Panics in a thread and under `catch_unwind`; both must come back as errors
//! with the payload intact and the process must go on. Prints "unwind ok".

use std::panic;
use std::thread;

#[inline(never)]
fn fail(what: &str) -> u32 {
    // Run-time dependent so the optimiser cannot fold the panic away.
    if std::env::args().count() < 1000 {
        panic!("probe panic: {what}");
    }
    0
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_default()
}

struct Guard(&'static str);
impl Drop for Guard {
    fn drop(&mut self) {
        eprintln!("unwind-probe: drop ran during unwinding ({})", self.0);
    }
}

fn main() {
    panic::set_hook(Box::new(|_| {}));

    let joined = thread::spawn(|| {
        let _g = Guard("thread");
        fail("thread")
    })
    .join();
    let thread_msg = match joined {
        Err(p) => message(p.as_ref()),
        Ok(_) => {
            eprintln!("unwind-probe: the thread did not panic");
            std::process::exit(1);
        }
    };

    let caught = panic::catch_unwind(|| {
        let _g = Guard("catch_unwind");
        fail("catch_unwind")
    });
    let caught_msg = match caught {
        Err(p) => message(p.as_ref()),
        Ok(_) => {
            eprintln!("unwind-probe: catch_unwind saw no panic");
            std::process::exit(1);
        }
    };

    if thread_msg == "probe panic: thread" && caught_msg == "probe panic: catch_unwind" {
        println!("unwind ok");
    } else {
        eprintln!("unwind-probe: wrong payloads: {thread_msg:?}, {caught_msg:?}");
        std::process::exit(1);
    }
}

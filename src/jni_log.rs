//! The `log` records of the store, delivered to the JVM's `System.Logger` (named
//! `org.acmsl.bytehot.eventstore`) through the Java class `NativeLog`, so that recovery,
//! index rebuilds, set-asides and backups land wherever the application logs.
//!
//! Invariants:
//! - Installed by the first `open` through JNI, from a Java thread: `NativeLog` is found
//!   with the class loader of the class that declares the native methods (a store's own
//!   background threads could not find it in an agent's or a container's class loader),
//!   and kept as a global reference. Until then (and in programs without a JVM, such as
//!   the command-line tool, which installs its own logger) records go nowhere.
//! - A record from a thread the JVM does not know attaches it as a daemon (it never keeps
//!   the JVM alive). A thread with a Java exception pending must not call Java: its
//!   record goes to stderr instead.
//! - Only `Info` and above cross: the store logs nothing on the happy path, and a
//!   disabled level costs no JNI call.

use std::sync::OnceLock;

use jni::objects::{GlobalRef, JValue};
use jni::{JNIEnv, JavaVM};

const SINK_CLASS: &str = "org/acmsl/bytehot/infrastructure/eventsourcing/NativeLog";

struct JvmLogger {
    vm: JavaVM,
    sink: GlobalRef,
}

static LOGGER: OnceLock<JvmLogger> = OnceLock::new();

/// Installs the JVM logger as the `log` crate's logger, once per copy of the library;
/// later calls do nothing. A program that installed another logger keeps it.
pub(crate) fn install(env: &mut JNIEnv<'_>) {
    if LOGGER.get().is_some() {
        return;
    }
    let found = env
        .find_class(SINK_CLASS)
        .and_then(|class| env.new_global_ref(class))
        .and_then(|sink| Ok((env.get_java_vm()?, sink)));
    let Ok((vm, sink)) = found else {
        // An older Java side without NativeLog: no logging, never a failed open.
        let _ = env.exception_clear();
        return;
    };
    if LOGGER.set(JvmLogger { vm, sink }).is_ok()
        && let Some(logger) = LOGGER.get()
        && log::set_logger(logger).is_ok()
    {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// `System.Logger.Level` ordinals' order, as `NativeLog.log` takes them.
fn level_code(level: log::Level) -> i32 {
    match level {
        log::Level::Error => 4,
        log::Level::Warn => 3,
        log::Level::Info => 2,
        log::Level::Debug => 1,
        log::Level::Trace => 0,
    }
}

impl log::Log for JvmLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        let Ok(mut env) = self.vm.attach_current_thread_as_daemon() else {
            eprintln!("bytehot-eventstore: {message}");
            return;
        };
        if env.exception_check().unwrap_or(true) {
            eprintln!("bytehot-eventstore: {message}");
            return;
        }
        let delivered = env
            .byte_array_from_slice(message.as_bytes())
            .and_then(|bytes| {
                env.call_static_method(
                    &self.sink,
                    "log",
                    "(I[B)V",
                    &[
                        JValue::Int(level_code(record.level())),
                        JValue::Object(&bytes),
                    ],
                )
            });
        if delivered.is_err() {
            // A handler that threw must not leave its exception to the store's caller.
            let _ = env.exception_clear();
            eprintln!("bytehot-eventstore: {message}");
        }
    }

    fn flush(&self) {}
}

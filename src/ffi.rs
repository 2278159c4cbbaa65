//! The JNI boundary: convert arguments, call the store, map errors. No logic lives here.
//!
//! Invariants:
//! - Every entry point runs inside [`run`], which catches panics: a panic never unwinds
//!   into the JVM (that would abort it); it becomes an `EventStoreException`.
//! - Handles are keys into [`STORES`], never pointers: a stale, closed or made-up handle
//!   finds nothing and raises `EventStoreUnavailableException`, and a call in flight
//!   holds its own `Arc`, so a racing `close` cannot free the store under it.
//! - Strings and JSON cross as standard UTF-8 `byte[]` (see `docs/jni-boundary.md`).

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use chrono::{DateTime, Utc};
use jni::JNIEnv;
use jni::objects::{JByteArray, JClass, JObject, JThrowable, JValue};
use jni::sys::{JNI_FALSE, JNI_TRUE, jboolean, jbyteArray, jint, jlong};
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::Error;
use crate::event::Event;
use crate::store::EventStore;

static STORES: LazyLock<RwLock<HashMap<jlong, Arc<EventStore>>>> = LazyLock::new(Default::default);
static NEXT_HANDLE: AtomicI64 = AtomicI64::new(1);

enum FfiError {
    Store(Error),
    /// A JNI call failed; a Java exception may already be pending.
    Jni(jni::errors::Error),
    Null(&'static str),
    Utf8(&'static str),
    BadHandle(jlong),
    Panic(String),
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        FfiError::Store(e)
    }
}

impl From<jni::errors::Error> for FfiError {
    fn from(e: jni::errors::Error) -> Self {
        FfiError::Jni(e)
    }
}

type FfiResult<T> = Result<T, FfiError>;

const PKG: &str = "org/acmsl/bytehot/domain/";

/// The one mapping from errors to Java exceptions.
fn throw(env: &mut JNIEnv<'_>, error: FfiError) {
    if env.exception_check().unwrap_or(false) {
        return; // the JVM's own exception explains the failure better
    }
    let (class, message, extra) = match error {
        FfiError::Store(e) => {
            let message = e.to_string();
            match e {
                Error::Conflict {
                    expected_version,
                    actual_version,
                    ..
                } => (
                    "ConcurrencyConflictException",
                    message,
                    Extra::Versions(expected_version, actual_version),
                ),
                Error::InvalidEvent { .. } | Error::InvalidName { .. } | Error::Config { .. } => {
                    ("InvalidEventException", message, Extra::None)
                }
                Error::Corrupt { path, .. } => (
                    "CorruptEventDataException",
                    message,
                    Extra::Path(path.display().to_string()),
                ),
                Error::Unavailable { .. } => {
                    ("EventStoreUnavailableException", message, Extra::None)
                }
                _ => ("EventStoreException", message, Extra::None),
            }
        }
        FfiError::Jni(e) => (
            "EventStoreException",
            format!("JNI call failed: {e}"),
            Extra::None,
        ),
        FfiError::Null(arg) => (
            "InvalidEventException",
            format!("{arg} must not be null"),
            Extra::None,
        ),
        FfiError::Utf8(arg) => (
            "InvalidEventException",
            format!("{arg} is not valid UTF-8"),
            Extra::None,
        ),
        FfiError::BadHandle(h) => (
            "EventStoreUnavailableException",
            format!("event store handle {h} is closed or invalid"),
            Extra::None,
        ),
        FfiError::Panic(what) => (
            "EventStoreException",
            format!("internal error in the native event store (please report): {what}"),
            Extra::None,
        ),
    };
    if throw_typed(env, class, &message, &extra).is_err() {
        let _ = env.exception_clear();
        let _ = env.throw_new("java/lang/RuntimeException", format!("{class}: {message}"));
    }
}

enum Extra {
    None,
    Versions(u64, u64),
    Path(String),
}

fn throw_typed(
    env: &mut JNIEnv<'_>,
    class: &str,
    message: &str,
    extra: &Extra,
) -> jni::errors::Result<()> {
    let class = format!("{PKG}{class}");
    let text = JObject::from(env.new_string(message)?);
    let object = match extra {
        Extra::None => env.new_object(&class, "(Ljava/lang/String;)V", &[JValue::Object(&text)])?,
        Extra::Versions(expected, actual) => env.new_object(
            &class,
            "(Ljava/lang/String;JJ)V",
            &[
                JValue::Object(&text),
                JValue::Long(i64::try_from(*expected).unwrap_or(i64::MAX)),
                JValue::Long(i64::try_from(*actual).unwrap_or(i64::MAX)),
            ],
        )?,
        Extra::Path(path) => {
            let path = JObject::from(env.new_string(path)?);
            env.new_object(
                &class,
                "(Ljava/lang/String;Ljava/lang/String;)V",
                &[JValue::Object(&text), JValue::Object(&path)],
            )?
        }
    };
    env.throw(JThrowable::from(object))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".to_string())
}

/// Runs one entry point: panics and errors become Java exceptions and `default` is returned.
fn run<'local, T>(
    env: &mut JNIEnv<'local>,
    default: T,
    body: impl FnOnce(&mut JNIEnv<'local>) -> FfiResult<T>,
) -> T {
    let outcome = catch_unwind(AssertUnwindSafe(|| body(env)))
        .unwrap_or_else(|payload| Err(FfiError::Panic(panic_message(payload.as_ref()))));
    outcome.unwrap_or_else(|e| {
        throw(env, e);
        default
    })
}

fn store(handle: jlong) -> FfiResult<Arc<EventStore>> {
    let stores = STORES.read().unwrap_or_else(|p| p.into_inner());
    stores
        .get(&handle)
        .cloned()
        .ok_or(FfiError::BadHandle(handle))
}

fn bytes(env: &JNIEnv<'_>, array: &JByteArray<'_>, name: &'static str) -> FfiResult<Vec<u8>> {
    if array.is_null() {
        return Err(FfiError::Null(name));
    }
    Ok(env.convert_byte_array(array)?)
}

fn text(env: &JNIEnv<'_>, array: &JByteArray<'_>, name: &'static str) -> FfiResult<String> {
    String::from_utf8(bytes(env, array, name)?).map_err(|_| FfiError::Utf8(name))
}

fn to_java(env: &mut JNIEnv<'_>, data: &[u8]) -> FfiResult<jbyteArray> {
    Ok(env.byte_array_from_slice(data)?.into_raw())
}

fn json<T: serde::Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

fn instant(seconds: jlong, nanos: jint, name: &'static str) -> FfiResult<DateTime<Utc>> {
    u32::try_from(nanos)
        .ok()
        .and_then(|n| DateTime::from_timestamp(seconds, n))
        .ok_or_else(|| {
            Error::invalid_event(name, format!("{seconds}s {nanos}ns is out of range")).into()
        })
}

fn flag(b: bool) -> jboolean {
    if b { JNI_TRUE } else { JNI_FALSE }
}

const NULL_ARRAY: jbyteArray = std::ptr::null_mut();

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_open<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    config: JByteArray<'l>,
) -> jlong {
    run(&mut env, 0, |env| {
        let settings: Map<String, Value> =
            serde_json::from_slice(&bytes(env, &config, "configJson")?)
                .map_err(|e| Error::config("configJson", format!("not a JSON object: {e}")))?;
        let store = EventStore::open(Config::from_settings(&settings)?)?;
        let handle = NEXT_HANDLE.fetch_add(1, Ordering::Relaxed);
        STORES
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(handle, Arc::new(store));
        Ok(handle)
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_close<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    run(&mut env, (), |_| {
        let removed = STORES
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&handle);
        let store = removed.ok_or(FfiError::BadHandle(handle))?;
        // Calls still in flight keep their own reference; the last one releases the store.
        match Arc::try_unwrap(store) {
            Ok(store) => Ok(store.close()?),
            Err(_) => Ok(()),
        }
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_append<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    events: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, NULL_ARRAY, |env| {
        let store = store(handle)?;
        let batch = Event::batch_from_json(&bytes(env, &events, "events")?)?;
        let stored = store.append_batch(batch)?;
        to_java(env, &Event::batch_to_json(&stored))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_readAggregate<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    aggregate_type: JByteArray<'l>,
    aggregate_id: JByteArray<'l>,
    since_version: jlong,
) -> jbyteArray {
    run(&mut env, NULL_ARRAY, |env| {
        let store = store(handle)?;
        let since = u64::try_from(since_version).map_err(|_| {
            Error::invalid_event(
                "sinceVersion",
                format!("must not be negative, got {since_version}"),
            )
        })?;
        let (t, id) = (
            text(env, &aggregate_type, "aggregateType")?,
            text(env, &aggregate_id, "aggregateId")?,
        );
        let events = store.read_aggregate(&t, &id, since)?;
        to_java(env, &Event::batch_to_json(&events))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_readByType<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    event_type: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, NULL_ARRAY, |env| {
        let store = store(handle)?;
        let events = store.read_by_type(&text(env, &event_type, "eventType")?)?;
        to_java(env, &Event::batch_to_json(&events))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_readBetween<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    start_second: jlong,
    start_nano: jint,
    end_second: jlong,
    end_nano: jint,
) -> jbyteArray {
    run(&mut env, NULL_ARRAY, |env| {
        let store = store(handle)?;
        let start = instant(start_second, start_nano, "startTime")?;
        let end = instant(end_second, end_nano, "endTime")?;
        let events = store.read_between(start, end)?;
        to_java(env, &Event::batch_to_json(&events))
    })
}

fn aggregate_call<'l>(
    env: &mut JNIEnv<'l>,
    handle: jlong,
    aggregate_type: &JByteArray<'l>,
    aggregate_id: &JByteArray<'l>,
    call: impl FnOnce(&EventStore, &str, &str) -> crate::Result<u64>,
) -> FfiResult<jlong> {
    let store = store(handle)?;
    let (t, id) = (
        text(env, aggregate_type, "aggregateType")?,
        text(env, aggregate_id, "aggregateId")?,
    );
    Ok(i64::try_from(call(&store, &t, &id)?).unwrap_or(i64::MAX))
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_currentVersion<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    aggregate_type: JByteArray<'l>,
    aggregate_id: JByteArray<'l>,
) -> jlong {
    run(&mut env, 0, |env| {
        aggregate_call(
            env,
            handle,
            &aggregate_type,
            &aggregate_id,
            EventStore::current_version,
        )
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_eventCount<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    aggregate_type: JByteArray<'l>,
    aggregate_id: JByteArray<'l>,
) -> jlong {
    run(&mut env, 0, |env| {
        aggregate_call(
            env,
            handle,
            &aggregate_type,
            &aggregate_id,
            EventStore::event_count,
        )
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_aggregateExists<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    aggregate_type: JByteArray<'l>,
    aggregate_id: JByteArray<'l>,
) -> jboolean {
    run(&mut env, JNI_FALSE, |env| {
        aggregate_call(
            env,
            handle,
            &aggregate_type,
            &aggregate_id,
            EventStore::event_count,
        )
        .map(|n| flag(n > 0))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_checkpoint<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) {
    run(&mut env, (), |_| Ok(store(handle)?.checkpoint()?))
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_totalEventCount<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jlong {
    run(&mut env, 0, |_| {
        Ok(i64::try_from(store(handle)?.total_event_count()?).unwrap_or(i64::MAX))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_aggregateTypes<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    run(&mut env, NULL_ARRAY, |env| {
        let types = store(handle)?.aggregate_types()?;
        to_java(env, &json(&types))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_aggregateIds<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
    aggregate_type: JByteArray<'l>,
) -> jbyteArray {
    run(&mut env, NULL_ARRAY, |env| {
        let store = store(handle)?;
        let ids = store.aggregate_ids(&text(env, &aggregate_type, "aggregateType")?)?;
        to_java(env, &json(&ids))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_health<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    run(&mut env, NULL_ARRAY, |env| {
        let health = store(handle)?.health();
        let body = serde_json::json!({"healthy": health.healthy, "problems": health.problems});
        to_java(env, &json(&body))
    })
}

#[unsafe(no_mangle)]
pub extern "system" fn Java_org_acmsl_bytehot_infrastructure_eventsourcing_NativeEventStore_verify<
    'l,
>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    handle: jlong,
) -> jbyteArray {
    run(&mut env, NULL_ARRAY, |env| {
        let problems = store(handle)?.verify()?;
        to_java(env, &json(&problems))
    })
}

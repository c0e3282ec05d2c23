//! A session's gate: held shared by each attempt of a request and exclusively by a login or a
//! logout, so a login never interleaves with requests that would send half-changed cookies.
//! What needs the gate takes its guard as a witness (`&Exclusive`, `&Shared`), so the type says
//! which lock a function runs under.

use crate::error::{Code, Error, Result};
use crate::log::Gated;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[derive(Debug, Default)]
pub(crate) struct Gate {
    lock: RwLock<()>,
}

/// The gate held shared: no login or logout runs meanwhile.
pub(crate) struct Shared<'a> {
    _guard: Gated<RwLockReadGuard<'a, ()>>,
}

/// The gate held exclusively: no other call of the session runs meanwhile.
pub(crate) struct Exclusive<'a> {
    _guard: Gated<RwLockWriteGuard<'a, ()>>,
}

pub(crate) fn poisoned<T>(_: T) -> Error {
    Error::of(
        Code::Poisoned,
        "a previous call on this session panicked while holding its lock",
    )
}

impl Gate {
    pub(crate) fn shared(&self) -> Result<Shared<'_>> {
        let guard = self.lock.read().map_err(poisoned)?;
        Ok(Shared {
            _guard: Gated::new(guard),
        })
    }

    pub(crate) fn exclusive(&self) -> Result<Exclusive<'_>> {
        let guard = self.lock.write().map_err(poisoned)?;
        Ok(Exclusive {
            _guard: Gated::new(guard),
        })
    }
}

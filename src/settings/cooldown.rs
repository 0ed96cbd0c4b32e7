//! Cooldowns in the settings stage: `--exclude-newer DATE|DURATION` (uv's name, and pip 26's
//! `--uploaded-prior-to`), `--exclude-newer-package NAME=DATE|DURATION`, and `[tool.pinion]`'s
//! `exclude-newer` and `exclude-newer-package`. A duration is turned into an absolute time
//! here, once, against [`now`]; the header records that time, so `compile --check` resolves
//! against the same cutoff next week.

use std::collections::BTreeMap;
use std::str::FromStr;

use jiff::{Timestamp, tz::TimeZone};
use pep508_rs::PackageName;

use super::SettingsError;
use super::compile::CompileOptions;
use super::header::HeaderCommand;
use crate::index::Cooldown;

/// What a cutoff may be, for error messages.
pub(crate) const ACCEPTED: &str = "an RFC 3339 timestamp (`2024-03-01T00:00:00Z`), a date (`2024-03-01`: up to the end of that day, UTC), or a duration before now (`7 days`, `1 week`, `P7D`)";

/// The environment variable that fixes "now" for a duration (an RFC 3339 timestamp). A
/// testing hook: tests compile "a day later" with it; nothing else should set it.
pub(crate) const NOW_VARIABLE: &str = "PINION_NOW";

/// The flags whose value is a cutoff, and the one whose value is `NAME=cutoff`.
const GLOBAL_FLAGS: &[&str] = &["--exclude-newer", "--uploaded-prior-to"];
const PACKAGE_FLAG: &str = "--exclude-newer-package";

/// A cutoff as decided: the absolute time, and whether it was a duration before now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cutoff {
    pub(crate) at: Timestamp,
    pub(crate) relative: bool,
}

/// The current time, or [`NOW_VARIABLE`]'s.
pub(crate) fn now() -> Result<Timestamp, SettingsError> {
    match std::env::var(NOW_VARIABLE) {
        Ok(value) => Timestamp::from_str(value.trim()).map_err(|err| SettingsError::InvalidValue {
            option: NOW_VARIABLE.to_string(),
            value,
            reason: format!("expected an RFC 3339 timestamp ({err})"),
        }),
        Err(_) => Ok(Timestamp::now()),
    }
}

/// One cutoff as written: a timestamp, a date (files of that whole day count, as uv reads a
/// date), or a duration before `now` (calendar units in UTC). Whole seconds, so the header
/// stays readable.
pub(crate) fn parse(value: &str, now: Timestamp) -> Result<Cutoff, String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("it is empty".to_string());
    }
    if let Ok(at) = Timestamp::from_str(value) {
        return Ok(Cutoff {
            at,
            relative: false,
        });
    }
    if let Ok(date) = jiff::civil::Date::from_str(value) {
        let at = date
            .tomorrow()
            .and_then(|next| next.to_zoned_datetime(TimeZone::UTC))
            .map_err(|err| err.to_string())?
            .timestamp();
        return Ok(Cutoff {
            at,
            relative: false,
        });
    }
    let span = jiff::Span::from_str(value).map_err(|_| format!("expected {ACCEPTED}"))?;
    if span.is_negative() {
        return Err("a duration counts back from now: it cannot be negative".to_string());
    }
    let at = now
        .to_zoned_datetime(TimeZone::UTC)
        .checked_sub(span)
        .map_err(|err| format!("`{value}` before now is out of range ({err})"))?
        .timestamp();
    let at = Timestamp::from_second(at.as_second()).unwrap_or(at);
    Ok(Cutoff { at, relative: true })
}

/// `NAME=cutoff`, as `--exclude-newer-package` takes it.
pub(crate) fn parse_package(value: &str, now: Timestamp) -> Result<(PackageName, Cutoff), String> {
    let Some((name, cutoff)) = value.split_once('=') else {
        return Err("expected `NAME=DATE` or `NAME=DURATION`".to_string());
    };
    if name.trim().is_empty() {
        return Err("expected `NAME=DATE` or `NAME=DURATION`, with a package name".to_string());
    }
    let name = PackageName::from_str(name.trim())
        .map_err(|err| format!("`{}` is not a package name ({err})", name.trim()))?;
    Ok((name, parse(cutoff, now)?))
}

/// Every cutoff flag of a command line checked, so that a bad one names its flag (exit 2).
pub(super) fn check_args(
    exclude_newer: Option<(&'static str, &str)>,
    packages: &[String],
    now: Timestamp,
) -> Result<(), SettingsError> {
    if let Some((flag, value)) = exclude_newer {
        parse(value, now).map_err(|reason| invalid(flag, value, reason))?;
    }
    for value in packages {
        parse_package(value, now).map_err(|reason| invalid(PACKAGE_FLAG, value, reason))?;
    }
    Ok(())
}

fn invalid(option: &str, value: &str, reason: String) -> SettingsError {
    SettingsError::InvalidValue {
        option: option.to_string(),
        value: value.to_string(),
        reason,
    }
}

/// The cooldown the combined layers ask for; `option` is the flag errors name.
pub(super) fn decide(
    options: &CompileOptions,
    now: Timestamp,
    option: &'static str,
) -> Result<Cooldown, SettingsError> {
    let global = match &options.exclude_newer {
        Some(value) => Some(
            parse(value, now)
                .map_err(|reason| invalid(option, value, reason))?
                .at,
        ),
        None => None,
    };
    let mut packages = BTreeMap::new();
    for value in &options.exclude_newer_packages {
        let (name, cutoff) =
            parse_package(value, now).map_err(|reason| invalid(PACKAGE_FLAG, value, reason))?;
        packages.insert(name, cutoff.at);
    }
    if let Some(at) = global {
        tracing::info!("cooldown: files uploaded since {at} are left out");
    }
    Ok(Cooldown {
        global,
        packages,
        option,
    })
}

/// Under `compile --check`, a duration on the command line means the cutoff the header
/// recorded, not one counted from today: the lockfile is checked against the resolution it
/// holds. An absolute time on the command line still wins.
pub(super) fn prefer_recorded(
    mut cli: CompileOptions,
    recorded: &CompileOptions,
    now: Timestamp,
) -> CompileOptions {
    let relative = |value: &String| parse(value, now).is_ok_and(|c| c.relative);
    if cli.exclude_newer.as_ref().is_some_and(relative) && recorded.exclude_newer.is_some() {
        cli.exclude_newer = None;
    }
    let package_relative =
        |value: &String| parse_package(value, now).is_ok_and(|(_, c)| c.relative);
    if cli.exclude_newer_packages.iter().any(package_relative)
        && !recorded.exclude_newer_packages.is_empty()
    {
        cli.exclude_newer_packages.clear();
    }
    cli
}

/// The header's command with every duration replaced by the time it stood for, and the
/// durations of the configuration (which `--check` would count from its own day) appended as
/// times: `--exclude-newer '7 days'` is recorded as `--exclude-newer 2024-03-01T12:00:00Z`.
pub(super) fn freeze(
    command: HeaderCommand,
    config: &CompileOptions,
    now: Timestamp,
) -> HeaderCommand {
    let HeaderCommand::Recorded {
        mut words,
        python_at,
    } = command
    else {
        return command;
    };
    let frozen = |value: &str| match parse(value, now) {
        Ok(cutoff) if cutoff.relative => cutoff.at.to_string(),
        _ => value.to_string(),
    };
    let frozen_package = |value: &str| match parse_package(value, now) {
        Ok((name, cutoff)) if cutoff.relative => format!("{name}={}", cutoff.at),
        _ => value.to_string(),
    };
    let mut global_given = false;
    let mut packages_given = false;
    let mut i = 0;
    while i < words.len() {
        let word = words[i].clone();
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
            _ => (word.clone(), None),
        };
        let is_global = GLOBAL_FLAGS.contains(&flag.as_str());
        let is_package = flag == PACKAGE_FLAG;
        global_given |= is_global;
        packages_given |= is_package;
        let freeze_value: &dyn Fn(&str) -> String =
            if is_package { &frozen_package } else { &frozen };
        if is_global || is_package {
            match inline {
                Some(value) => words[i] = format!("{flag}={}", freeze_value(value)),
                None if i + 1 < words.len() => {
                    words[i + 1] = freeze_value(&words[i + 1]);
                    i += 1;
                }
                None => {}
            }
        }
        i += 1;
    }
    if !global_given
        && let Some(value) = &config.exclude_newer
        && let Ok(cutoff) = parse(value, now)
        && cutoff.relative
    {
        words.push("--exclude-newer".to_string());
        words.push(cutoff.at.to_string());
    }
    if !packages_given {
        for value in &config.exclude_newer_packages {
            if let Ok((name, cutoff)) = parse_package(value, now)
                && cutoff.relative
            {
                words.push(PACKAGE_FLAG.to_string());
                words.push(format!("{name}={}", cutoff.at));
            }
        }
    }
    HeaderCommand::Recorded { words, python_at }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::from_str("2024-03-10T15:30:45.25Z").unwrap()
    }

    fn at(value: &str) -> String {
        parse(value, now()).unwrap().at.to_string()
    }

    #[test]
    fn timestamps_dates_and_durations() {
        assert_eq!(at("2024-03-01T12:00:00Z"), "2024-03-01T12:00:00Z");
        assert_eq!(at("2024-03-01T12:00:00+02:00"), "2024-03-01T10:00:00Z");
        // A date counts through its end, as uv reads one.
        assert_eq!(at("2024-03-01"), "2024-03-02T00:00:00Z");
        assert!(!parse("2024-03-01", now()).unwrap().relative);
        // Durations, friendly or ISO 8601, count back from now in whole seconds.
        assert_eq!(at("7 days"), "2024-03-03T15:30:45Z");
        assert_eq!(at("P7D"), "2024-03-03T15:30:45Z");
        assert_eq!(at("1 week"), "2024-03-03T15:30:45Z");
        assert_eq!(at("24h"), "2024-03-09T15:30:45Z");
        assert_eq!(at("1 month"), "2024-02-10T15:30:45Z");
        assert!(parse("7 days", now()).unwrap().relative);
    }

    #[test]
    fn bad_cutoffs_say_what_is_accepted() {
        for bad in ["", "yesterday", "2024-13-01", "7 fortnights", "-7 days"] {
            let err = parse(bad, now()).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
        assert!(parse("soon", now()).unwrap_err().contains("RFC 3339"));
        assert!(parse("-P1D", now()).unwrap_err().contains("negative"));
    }

    #[test]
    fn package_cutoffs() {
        let (name, cutoff) = parse_package("Foo_Bar=2024-03-01", now()).unwrap();
        assert_eq!(name.as_ref(), "foo-bar");
        assert_eq!(cutoff.at.to_string(), "2024-03-02T00:00:00Z");
        assert!(
            parse_package("foo", now())
                .unwrap_err()
                .contains("NAME=DATE")
        );
        assert!(parse_package("=2024-03-01", now()).is_err());
        assert!(parse_package("foo=never", now()).is_err());
    }

    #[test]
    fn the_header_records_durations_as_times() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let command = HeaderCommand::Recorded {
            words: words(&[
                "pinion",
                "compile",
                "--exclude-newer",
                "7 days",
                "--exclude-newer-package=foo=1 day",
                "--exclude-newer-package",
                "bar=2024-01-01",
                "requirements.in",
            ]),
            python_at: None,
        };
        let config = CompileOptions::default();
        let HeaderCommand::Recorded { words: out, .. } = freeze(command, &config, now()) else {
            panic!("recorded");
        };
        assert_eq!(
            out,
            words(&[
                "pinion",
                "compile",
                "--exclude-newer",
                "2024-03-03T15:30:45Z",
                "--exclude-newer-package=foo=2024-03-09T15:30:45Z",
                "--exclude-newer-package",
                "bar=2024-01-01",
                "requirements.in",
            ])
        );
    }

    #[test]
    fn a_configured_duration_is_appended_to_the_header() {
        let command = HeaderCommand::Recorded {
            words: vec!["pinion".into(), "compile".into()],
            python_at: None,
        };
        let config = CompileOptions {
            exclude_newer: Some("3 days".into()),
            exclude_newer_packages: vec!["foo=2024-01-01".into()],
            ..CompileOptions::default()
        };
        let HeaderCommand::Recorded { words, .. } = freeze(command, &config, now()) else {
            panic!("recorded");
        };
        // The absolute per-package date stays in the configuration, read again by `--check`.
        assert_eq!(
            words,
            [
                "pinion",
                "compile",
                "--exclude-newer",
                "2024-03-07T15:30:45Z"
            ]
        );
    }
}

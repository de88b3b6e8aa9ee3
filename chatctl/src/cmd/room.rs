//! `chatctl room ...`: rooms and their members, with every change logged
//! in the room's event log (and announced to chatd) like one made in chat,
//! and recorded in the audit log (removals, roles and bans by the store,
//! in the change's own transaction).

use chat_store::moderation::{self, Actor};
use chat_store::{Refusal, StoreError, members, rooms, users};
use chat_wire::validate;
use chat_wire::{MemberRole, Visibility};
use serde::Serialize;

use super::audit;
use super::user::{announce, not_found as user_not_found};
use crate::cli::{MemberRoleArg, RoomCommand};
use crate::db;
use crate::error::{CliError, CliResult};
use crate::output::{Output, Table};
use crate::prompt;

pub async fn run(url: &str, cmd: RoomCommand, out: Output) -> CliResult {
    let mut client = db::connect_current(url).await?;
    match cmd {
        RoomCommand::List { direct, archived } => {
            let list = rooms::list_all(&client, direct, archived).await?;
            out.data(&list, |list| {
                let mut table = Table::new(&[
                    "ID",
                    "KIND",
                    "VISIBILITY",
                    "STATE",
                    "MEMBERS",
                    "MESSAGES",
                    "NAME",
                ]);
                for r in list {
                    table.row(vec![
                        r.id.to_string(),
                        json_name(&r.kind),
                        json_name(&r.visibility),
                        if r.archived { "archived" } else { "open" }.into(),
                        r.members.to_string(),
                        r.messages.to_string(),
                        r.name.clone(),
                    ]);
                }
                table.print()
            })
        }
        RoomCommand::Show { room } => {
            let room_id = resolve(&client, &room).await?;
            #[derive(Serialize)]
            struct Shown {
                #[serde(flatten)]
                room: rooms::RoomSummary,
                member_list: Vec<chat_wire::Member>,
            }
            let room = rooms::summary_of(&client, room_id)
                .await
                .map_err(|e| room_not_found(e, room_id))?;
            let member_list = members::list(&client, room_id).await?;
            out.data(&Shown { room, member_list }, |s| {
                let r = &s.room;
                let state = if r.archived { "archived" } else { "open" };
                crate::output::line(&format!(
                    "room {} {:?} ({}, {}, {state}): {} message(s), latest seq {}",
                    r.id,
                    r.name,
                    json_name(&r.kind),
                    json_name(&r.visibility),
                    r.messages,
                    r.latest_seq
                ))?;
                if !r.topic.is_empty() {
                    crate::output::line(&format!("topic: {}", r.topic))?;
                }
                let mut table = Table::new(&["USER ID", "USERNAME", "ROLE", "DISPLAY NAME"]);
                for m in &s.member_list {
                    table.row(vec![
                        m.user.id.to_string(),
                        m.user.username.clone(),
                        json_name(&m.role),
                        m.user.display_name.clone(),
                    ]);
                }
                table.print()
            })
        }
        RoomCommand::Create {
            name,
            owner,
            private,
            topic,
        } => {
            let name = validate::name("room name", &name).map_err(CliError::Usage)?;
            let topic = validate::text("topic", &topic).map_err(CliError::Usage)?;
            let owner_user = users::by_username(&client, &owner)
                .await
                .map_err(|e| user_not_found(e, &owner))?;
            let visibility = if private {
                Visibility::Private
            } else {
                Visibility::Public
            };
            let (room, created) =
                rooms::create(&mut client, owner_user.id, &name, visibility, &topic)
                    .await
                    .map_err(|e| match e {
                        StoreError::Conflict(key) if key == rooms::PUBLIC_NAME_KEY => {
                            CliError::Usage(format!("a public room named {name:?} already exists"))
                        }
                        other => other.into(),
                    })?;
            announce(&client, created).await;
            let details = serde_json::json!({
                "name": room.name, "owner": owner_user.username, "private": private,
            });
            audit::record(&client, "room.create", format!("room:{}", room.id), details).await?;
            out.note(format_args!(
                "created room {} ({}) owned by {}",
                room.id, room.name, owner_user.username
            ));
            out.result(&room)
        }
        RoomCommand::Archive { room, yes } => {
            let room_id = resolve(&client, &room).await?;
            let room = rooms::summary_of(&client, room_id)
                .await
                .map_err(|e| room_not_found(e, room_id))?;
            prompt::confirm(yes, &format!("archive room {room_id} ({})", room.name))?;
            let archived = rooms::archive(&mut client, room_id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => CliError::Usage(format!(
                        "room {room_id} is a direct conversation; only named rooms are archived"
                    )),
                    other => other.into(),
                })?;
            let changed = !archived.is_empty();
            announce(&client, archived).await;
            if changed {
                let target = format!("room:{room_id}");
                audit::record(&client, "room.archive", target, serde_json::json!({})).await?;
            }
            if changed {
                out.note(format_args!("archived room {room_id}"));
            } else {
                out.note(format_args!("room {room_id} was already archived"));
            }
            out.result(
                serde_json::json!({ "room_id": room_id, "archived": true, "changed": changed }),
            )
        }
        RoomCommand::AddMember {
            room,
            username,
            role,
        } => {
            let room_id = resolve(&client, &room).await?;
            let room = rooms::summary_of(&client, room_id)
                .await
                .map_err(|e| room_not_found(e, room_id))?;
            if room.archived {
                return Err(CliError::Usage(format!("room {room_id} is archived")));
            }
            if room.kind == chat_wire::RoomKind::Direct {
                return Err(CliError::Usage(
                    "direct conversations are between two people".into(),
                ));
            }
            let user = users::by_username(&client, &username)
                .await
                .map_err(|e| user_not_found(e, &username))?;
            let added = members::add(&mut client, room_id, user.id, member_role(role))
                .await
                .map_err(|e| match e {
                    StoreError::Refused(Refusal::Banned) => {
                        CliError::Usage(format!("{username} is banned from room {room_id}"))
                    }
                    other => other.into(),
                })?;
            if added.is_empty() {
                return Err(CliError::Usage(format!(
                    "{username} is already a member of room {room_id}"
                )));
            }
            announce(&client, added).await;
            let target = chat_store::audit::room_user(room_id, &user.username);
            let details = serde_json::json!({ "role": role_name(role) });
            audit::record(&client, "room.add_member", target, details).await?;
            out.note(format_args!("added {username} to room {room_id}"));
            out.result(serde_json::json!({ "room_id": room_id, "username": user.username, "role": role_name(role) }),
            )
        }
        RoomCommand::RemoveMember {
            room,
            username,
            yes,
        } => {
            let room_id = resolve(&client, &room).await?;
            let user = users::by_username(&client, &username)
                .await
                .map_err(|e| user_not_found(e, &username))?;
            prompt::confirm(yes, &format!("remove {username} from room {room_id}"))?;
            // The room's rules, as the API applies them, with chatctl
            // acting as a server admin (an owner's powers).
            let removed = moderation::remove(&mut client, room_id, Actor::ServerAdmin, user.id)
                .await
                .map_err(|e| refused(e, &username, room_id))?;
            announce(&client, removed).await;
            out.note(format_args!("removed {username} from room {room_id}"));
            out.result(serde_json::json!({ "room_id": room_id, "username": user.username }))
        }
        RoomCommand::SetRole {
            room,
            username,
            role,
        } => {
            let room_id = resolve(&client, &room).await?;
            let user = users::by_username(&client, &username)
                .await
                .map_err(|e| user_not_found(e, &username))?;
            let (_, changed) = moderation::set_role(
                &mut client,
                room_id,
                Actor::ServerAdmin,
                user.id,
                member_role(role),
            )
            .await
            .map_err(|e| refused(e, &username, room_id))?;
            announce(&client, changed).await;
            out.note(format_args!(
                "{username} is now {} of room {room_id}",
                role_name(role)
            ));
            out.result(serde_json::json!({ "room_id": room_id, "username": user.username, "role": role_name(role) }),
            )
        }
        RoomCommand::Ban {
            room,
            username,
            reason,
            yes,
        } => ban(&mut client, &room, &username, &reason, yes, out).await,
        RoomCommand::Unban { room, username } => unban(&mut client, &room, &username, out).await,
        RoomCommand::Bans { room } => list_bans(&client, &room, out).await,
    }
}

/// `room ban`: the API's ban, with chatctl acting as a server admin.
async fn ban(
    client: &mut chat_store::Client,
    room: &str,
    username: &str,
    reason: &str,
    yes: bool,
    out: Output,
) -> CliResult {
    let room_id = resolve(client, room).await?;
    let reason = validate::text("reason", reason).map_err(CliError::Usage)?;
    let user = users::by_username(client, username)
        .await
        .map_err(|e| user_not_found(e, username))?;
    prompt::confirm(yes, &format!("ban {username} from room {room_id}"))?;
    let banned = moderation::ban(client, room_id, Actor::ServerAdmin, user.id, &reason)
        .await
        .map_err(|e| refused(e, username, room_id))?;
    announce(client, banned).await;
    out.note(format_args!("banned {username} from room {room_id}"));
    out.result(serde_json::json!({ "room_id": room_id, "username": user.username, "banned": true }))
}

/// `room unban`.
async fn unban(
    client: &mut chat_store::Client,
    room: &str,
    username: &str,
    out: Output,
) -> CliResult {
    let room_id = resolve(client, room).await?;
    let user = users::by_username(client, username)
        .await
        .map_err(|e| user_not_found(e, username))?;
    moderation::unban(client, room_id, Actor::ServerAdmin, user.id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                CliError::NotFound(format!("{username} is not banned from room {room_id}"))
            }
            other => refused(other, username, room_id),
        })?;
    out.note(format_args!("lifted {username}'s ban from room {room_id}"));
    out.result(
        serde_json::json!({ "room_id": room_id, "username": user.username, "banned": false }),
    )
}

/// `room bans`: newest first.
async fn list_bans(client: &chat_store::Client, room: &str, out: Output) -> CliResult {
    let room_id = resolve(client, room).await?;
    let list = moderation::bans(client, room_id, Actor::ServerAdmin)
        .await
        .map_err(|e| refused(e, "", room_id))?;
    out.data(&list, |list| {
        let mut table = Table::new(&["USERNAME", "BY", "SINCE", "REASON"]);
        for b in list {
            table.row(vec![
                b.user.username.clone(),
                b.by.as_ref().map_or("-".into(), |u| u.username.clone()),
                b.created_at.to_string(),
                b.reason.clone(),
            ]);
        }
        table.print()
    })
}

/// A room named by id (a number) or by name (a named room; ignoring case).
/// Public names are unique; a private name shared by several rooms must be
/// given as an id.
async fn resolve(client: &chat_store::Client, room: &str) -> CliResult<i64> {
    if let Ok(id) = room.parse::<i64>() {
        return Ok(id);
    }
    let found = rooms::named(client, room).await?;
    match found.as_slice() {
        [] => Err(CliError::NotFound(format!("no room named {room:?}"))),
        [one] => Ok(one.id),
        several => {
            let ids: Vec<String> = several.iter().map(|r| r.id.to_string()).collect();
            Err(CliError::Usage(format!(
                "{} rooms are named {room:?} (ids {}); give the id",
                several.len(),
                ids.join(", ")
            )))
        }
    }
}

/// A room command's refusal: not a member, no such room, or the room's
/// rules (the same as the API's, see `chat_store::roles`).
fn refused(e: StoreError, username: &str, room_id: i64) -> CliError {
    match e {
        StoreError::NotFound => {
            CliError::NotFound(format!("{username} is not a member of room {room_id}"))
        }
        StoreError::Refused(Refusal::NoSuchRoom) => {
            CliError::NotFound(format!("no room {room_id}"))
        }
        StoreError::Refused(Refusal::Denied(denied)) => CliError::Usage(denied.to_string()),
        other => other.into(),
    }
}

fn room_not_found(e: StoreError, room_id: i64) -> CliError {
    match e {
        StoreError::NotFound => CliError::NotFound(format!("no room {room_id}")),
        other => other.into(),
    }
}

fn member_role(arg: MemberRoleArg) -> MemberRole {
    match arg {
        MemberRoleArg::Owner => MemberRole::Owner,
        MemberRoleArg::Admin => MemberRole::Admin,
        MemberRoleArg::Member => MemberRole::Member,
    }
}

fn role_name(arg: MemberRoleArg) -> &'static str {
    match arg {
        MemberRoleArg::Owner => "owner",
        MemberRoleArg::Admin => "admin",
        MemberRoleArg::Member => "member",
    }
}

/// A wire enum's JSON name ("public", "direct", "owner"), for tables.
fn json_name(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

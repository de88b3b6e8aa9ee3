//! Who may do what to whom in a room: the one set of rules for removing
//! members, changing roles and banning, applied by chatd's API and by
//! chatctl's room commands alike (through [`crate::moderation`], which
//! checks them inside the transaction that makes the change).
//!
//! | actor \ target | member | admin | owner |
//! |---|---|---|---|
//! | member | itself only (leave) | – | – |
//! | admin | remove, ban | itself (leave, step down) | – |
//! | owner | everything | everything | itself: leave; step down only after naming a successor |
//! | server admin (chatctl, or an `admin` account, member or not) | as an owner | as an owner | as an owner |
//!
//! Only an owner (or a server admin) hands out `admin` or `owner`; making
//! someone owner demotes every other owner to admin, so handing a room over
//! is one explicit step. Direct conversations have no roles to change, no
//! one to remove but oneself, and no bans.

use chat_wire::{MemberRole, RoomKind};

/// Who acts, as the rules see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A member of the room, with their role.
    Member(MemberRole),
    /// A server administrator (chatctl at the shell, or an account whose
    /// role is `admin`): may do what an owner may, without being a member.
    ServerAdmin,
}

impl Actor {
    fn rank(self) -> u8 {
        match self {
            Self::ServerAdmin | Self::Member(MemberRole::Owner) => 3,
            Self::Member(MemberRole::Admin) => 2,
            Self::Member(MemberRole::Member) => 1,
        }
    }
}

/// Who is acted on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Their role, `None` when they are not a member (a ban may come first).
    pub role: Option<MemberRole>,
    /// The actor acts on themselves.
    pub itself: bool,
}

/// Why the rules refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("only the room's owner or admins may do that")]
    NotModerator,
    #[error("a room admin cannot act on the room's owner or another admin")]
    Outranked,
    #[error("only the room's owner hands out admin or ownership")]
    OwnerOnly,
    #[error(
        "the room's last owner cannot step down: make another member owner first \
         (which makes you an admin), or leave the room"
    )]
    LastOwner,
    #[error("direct conversations have no roles, removals or bans")]
    Direct,
    #[error("you cannot ban yourself")]
    SelfBan,
}

/// Removing a member: anyone may remove themselves; owners (and server
/// admins) anyone else; admins only plain members.
pub fn remove(kind: RoomKind, actor: Actor, target: Target) -> Result<(), Denied> {
    if target.itself {
        return Ok(());
    }
    if kind == RoomKind::Direct {
        return Err(Denied::Direct);
    }
    over(actor, target.role)
}

/// Changing a member's role to `new`. `other_owners` counts the room's
/// owners besides the target.
pub fn set_role(
    kind: RoomKind,
    actor: Actor,
    target: MemberRole,
    itself: bool,
    new: MemberRole,
    other_owners: i64,
) -> Result<(), Denied> {
    if kind == RoomKind::Direct {
        return Err(Denied::Direct);
    }
    let raises = rank(new) > rank(target);
    if itself {
        // Stepping down is one's own business, except that a room keeps
        // an owner; stepping up is not.
        return if raises {
            Err(Denied::OwnerOnly)
        } else if target == MemberRole::Owner && new != MemberRole::Owner && other_owners == 0 {
            Err(Denied::LastOwner)
        } else {
            Ok(())
        };
    }
    over(actor, Some(target))?;
    if new != MemberRole::Member && actor.rank() < 3 {
        return Err(Denied::OwnerOnly);
    }
    if target == MemberRole::Owner && new != MemberRole::Owner && other_owners == 0 {
        return Err(Denied::LastOwner);
    }
    Ok(())
}

/// Banning (which removes a member): owners and admins, over whom they
/// outrank; never oneself.
pub fn ban(kind: RoomKind, actor: Actor, target: Target) -> Result<(), Denied> {
    if kind == RoomKind::Direct {
        return Err(Denied::Direct);
    }
    if target.itself {
        return Err(Denied::SelfBan);
    }
    over(actor, target.role)
}

/// Lifting a ban and reading the ban list: owners and admins.
pub fn manage_bans(kind: RoomKind, actor: Actor) -> Result<(), Denied> {
    if kind == RoomKind::Direct {
        return Err(Denied::Direct);
    }
    if actor.rank() < 2 {
        return Err(Denied::NotModerator);
    }
    Ok(())
}

/// Acting on someone else: a moderator, and an admin only over members
/// (and non-members).
fn over(actor: Actor, target: Option<MemberRole>) -> Result<(), Denied> {
    if actor.rank() < 2 {
        return Err(Denied::NotModerator);
    }
    if actor.rank() == 2 && target.is_some_and(|t| t != MemberRole::Member) {
        return Err(Denied::Outranked);
    }
    Ok(())
}

fn rank(role: MemberRole) -> u8 {
    Actor::Member(role).rank()
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemberRole::{Admin, Member, Owner};

    const ROOM: RoomKind = RoomKind::Room;
    const OWNER: Actor = Actor::Member(Owner);
    const ADMIN: Actor = Actor::Member(Admin);
    const MEMBER: Actor = Actor::Member(Member);

    fn other(role: MemberRole) -> Target {
        Target {
            role: Some(role),
            itself: false,
        }
    }

    #[test]
    fn removing_follows_rank() {
        for actor in [OWNER, Actor::ServerAdmin] {
            for role in [Owner, Admin, Member] {
                assert_eq!(remove(ROOM, actor, other(role)), Ok(()));
            }
        }
        assert_eq!(remove(ROOM, ADMIN, other(Member)), Ok(()));
        assert_eq!(remove(ROOM, ADMIN, other(Admin)), Err(Denied::Outranked));
        assert_eq!(remove(ROOM, ADMIN, other(Owner)), Err(Denied::Outranked));
        assert_eq!(
            remove(ROOM, MEMBER, other(Member)),
            Err(Denied::NotModerator)
        );
        let me = Target {
            role: Some(Member),
            itself: true,
        };
        assert_eq!(remove(RoomKind::Direct, MEMBER, me), Ok(()));
        assert_eq!(
            remove(RoomKind::Direct, MEMBER, other(Member)),
            Err(Denied::Direct)
        );
    }

    #[test]
    fn only_owners_hand_out_admin_or_ownership() {
        assert_eq!(set_role(ROOM, OWNER, Member, false, Admin, 1), Ok(()));
        assert_eq!(set_role(ROOM, OWNER, Member, false, Owner, 1), Ok(()));
        assert_eq!(set_role(ROOM, OWNER, Admin, false, Member, 1), Ok(()));
        assert_eq!(
            set_role(ROOM, Actor::ServerAdmin, Member, false, Owner, 1),
            Ok(())
        );
        assert_eq!(
            set_role(ROOM, ADMIN, Member, false, Admin, 1),
            Err(Denied::OwnerOnly)
        );
        assert_eq!(set_role(ROOM, ADMIN, Member, false, Member, 1), Ok(()));
        assert_eq!(
            set_role(ROOM, ADMIN, Admin, false, Member, 1),
            Err(Denied::Outranked)
        );
        assert_eq!(
            set_role(ROOM, ADMIN, Owner, false, Member, 0),
            Err(Denied::Outranked)
        );
        assert_eq!(
            set_role(ROOM, MEMBER, Member, false, Admin, 1),
            Err(Denied::NotModerator)
        );
        assert_eq!(
            set_role(RoomKind::Direct, OWNER, Member, false, Admin, 1),
            Err(Denied::Direct)
        );
    }

    #[test]
    fn stepping_down_needs_a_successor() {
        assert_eq!(
            set_role(ROOM, OWNER, Owner, true, Admin, 0),
            Err(Denied::LastOwner)
        );
        assert_eq!(set_role(ROOM, OWNER, Owner, true, Admin, 1), Ok(()));
        assert_eq!(
            set_role(ROOM, Actor::ServerAdmin, Owner, false, Member, 0),
            Err(Denied::LastOwner)
        );
        assert_eq!(set_role(ROOM, ADMIN, Admin, true, Member, 1), Ok(()));
        assert_eq!(
            set_role(ROOM, ADMIN, Admin, true, Owner, 1),
            Err(Denied::OwnerOnly)
        );
        assert_eq!(
            set_role(ROOM, MEMBER, Member, true, Admin, 1),
            Err(Denied::OwnerOnly)
        );
    }

    #[test]
    fn bans_follow_rank_and_never_hit_oneself() {
        let stranger = Target {
            role: None,
            itself: false,
        };
        assert_eq!(ban(ROOM, ADMIN, stranger), Ok(()));
        assert_eq!(ban(ROOM, ADMIN, other(Admin)), Err(Denied::Outranked));
        assert_eq!(ban(ROOM, OWNER, other(Admin)), Ok(()));
        assert_eq!(ban(ROOM, MEMBER, stranger), Err(Denied::NotModerator));
        let me = Target {
            role: Some(Owner),
            itself: true,
        };
        assert_eq!(ban(ROOM, OWNER, me), Err(Denied::SelfBan));
        assert_eq!(ban(RoomKind::Direct, OWNER, stranger), Err(Denied::Direct));
        assert_eq!(manage_bans(ROOM, MEMBER), Err(Denied::NotModerator));
        assert_eq!(manage_bans(ROOM, ADMIN), Ok(()));
    }
}

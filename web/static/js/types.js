// Shapes of the API's resources and WebSocket frames (wire/src/{model,api,ws}.rs).
// Types only: this module exports nothing at run time.

/**
 * @typedef {object} User
 * @property {number} id
 * @property {string} username
 * @property {string} display_name
 * @property {string} [bio]
 * @property {string} [created_at]
 * @property {FileInfo|null} [avatar]  shown through its thumbnail
 */

/**
 * @typedef {object} ServerLimits
 * @property {number} message_chars  longest message body
 * @property {number} upload_bytes  largest upload
 * @property {number} attachments  most files on one message
 */

/**
 * @typedef {object} ServerInfo  GET /api/v1/server
 * @property {string} version
 * @property {'open'|'closed'} registration
 * @property {ServerLimits} limits
 */

/**
 * @typedef {object} UserRef
 * @property {number} id
 * @property {string} username
 * @property {string} display_name
 * @property {number} [avatar_id]  the avatar's file id, absent without one
 */

/**
 * @typedef {object} Room
 * @property {number} id
 * @property {'room'|'direct'} kind
 * @property {string} name  For a direct room, the other participant's username.
 * @property {string} topic
 * @property {'public'|'private'} visibility
 * @property {string} created_at
 * @property {number} latest_seq
 * @property {number} [unread_count]
 * @property {'owner'|'admin'|'member'} [role]
 * @property {number} [read_seq]
 * @property {boolean} [archived]
 * @property {number|null} [mention_count]
 * @property {FileInfo|null} [avatar]  a direct room's is the other participant's
 */

/**
 * @typedef {object} Message
 * @property {number} id
 * @property {number} room_id
 * @property {number} seq
 * @property {UserRef} author
 * @property {string|null} body
 * @property {string|null} client_id
 * @property {number|null} reply_to
 * @property {string} created_at
 * @property {string|null} edited_at
 * @property {boolean} deleted
 * @property {Reaction[]} [reactions]  in first-reaction order; absent from older servers
 * @property {boolean} [pinned]
 * @property {number[]} [mentions]  user ids mentioned by name
 * @property {boolean} [mentions_room]  the whole room was mentioned
 * @property {number|null} [thread_root]  set on a thread reply
 * @property {ThreadSummary|null} [thread]  on a root that has replies
 * @property {FileInfo[]} [attachments]  files the message carries
 */

/**
 * @typedef {object} ThreadSummary
 * @property {number} reply_count
 * @property {string|null} last_reply_at
 * @property {number[]} participant_ids
 * @property {number} last_reply_seq  the newest reply counted here
 */

/**
 * The reactions of one emoji on a message.
 * @typedef {object} Reaction
 * @property {string} emoji  one emoji or a `:short_name:`
 * @property {number} count
 * @property {number[]} user_ids
 */

/**
 * @typedef {'message.created'|'message.updated'|'message.deleted'|'member.joined'|'member.left'|'member.updated'|'room.updated'|'reaction.added'|'reaction.removed'|'message.pinned'|'message.unpinned'} EventType
 */

/**
 * A room event, on the socket or from `GET .../events`.
 * @typedef {object} RoomEvent
 * @property {EventType} type
 * @property {number} room_id
 * @property {number} seq
 * @property {string} created_at
 * @property {Message} [message]
 * @property {UserRef} [user]
 * @property {{name: string, topic: string, avatar?: FileInfo|null, archived?: boolean}} [room]
 * @property {'owner'|'admin'|'member'} [role]  member.updated: the new role
 * @property {UserRef} [by]  member.left when someone else removed the member; member.updated
 * @property {string} [emoji]  reaction.added, reaction.removed
 */

/**
 * @typedef {object} Member
 * @property {UserRef} user
 * @property {'owner'|'admin'|'member'} role
 */

/**
 * @typedef {object} Ban
 * @property {UserRef} user
 * @property {string} reason
 * @property {UserRef|null} by
 * @property {string} created_at
 */

/**
 * One of my live sessions.
 * @typedef {object} Session
 * @property {number} id
 * @property {string} created_at
 * @property {string} last_seen_at
 * @property {string|null} user_agent
 * @property {boolean} current
 */

/**
 * A text an edit replaced, with when it was replaced.
 * @typedef {object} Revision
 * @property {string} body
 * @property {string} edited_at
 */

/**
 * An uploaded file (POST /api/v1/files).
 * @typedef {object} FileInfo
 * @property {number} id
 * @property {string} name  text, never markup
 * @property {string} content_type
 * @property {number} size
 * @property {string} sha256
 * @property {number} [width]
 * @property {number} [height]
 * @property {boolean} [has_thumbnail]
 */

/** @typedef {{code: string, message: string}} ErrorDetail */

/**
 * @typedef {{type: 'ready', user: User, rooms: {room_id: number, latest_seq: number}[], online?: UserRef[]}} ReadyFrame
 * @typedef {{type: 'ack', client_id: string, message: Message}} AckFrame
 * @typedef {{type: 'error', client_id?: string, error: ErrorDetail}} ErrorFrame
 * @typedef {{type: 'typing', room_id: number, user: UserRef}} TypingFrame
 * @typedef {{type: 'presence', user: UserRef, status: 'online'|'offline'}} PresenceFrame
 * @typedef {{type: 'pong'}} PongFrame
 * @typedef {ReadyFrame|AckFrame|ErrorFrame|TypingFrame|PresenceFrame|PongFrame} ControlFrame
 */

/**
 * @typedef {{type: 'send', room_id: number, body: string, client_id: string, reply_to?: number, thread_root?: number, attachments?: number[]}} SendFrame
 * @typedef {{type: 'typing', room_id: number}} TypingOutFrame
 * @typedef {{type: 'resume', rooms: Record<string, number>}} ResumeFrame
 * @typedef {{type: 'ping'}} PingFrame
 * @typedef {SendFrame|TypingOutFrame|ResumeFrame|PingFrame} ClientFrame
 */

/**
 * A message on its way out (see outbox.js).
 * @typedef {object} Outgoing
 * @property {string} client_id
 * @property {number} room_id
 * @property {string} body
 * @property {number|null} reply_to
 * @property {number|null} [thread_root]  a reply in this message's thread
 * @property {FileInfo[]} [attachments]  uploaded already; sent as their ids
 * @property {'pending'|'failed'} status
 * @property {string} [error]
 * @property {string} created_at
 */

export {};

"""English: every message a member or admin reads, by key. The slash commands are declared in
English in the extensions, so this language needs no command table.

Keys are dotted: `refused.*` for requests turned down before any money moved, `status.*` and
`failure.*` for a job's message, `budget.*` for /budget.

Long because it is data: one entry per message.
"""

from __future__ import annotations

LOCALE = "en-US"

MESSAGES: dict[str, str] = {
    # Refusals: nothing was held or charged.
    "refused.prompt_empty": "Your prompt is empty. Describe the video you want, e.g. "
    "`/video prompt: a red fox running through snow`.",
    "refused.prompt_too_long": "Your prompt has {length} characters; this model takes at "
    "most {limit}. Shorten it and try again.",
    "refused.unknown_model": "There is no model called `{model}` here. Pick one from the "
    "list the command offers.",
    "refused.wrong_model_kind": "{model} cannot be used with this command. Pick a model from "
    "the list the command offers.",
    "refused.invalid_option": "That combination is not on offer: {detail}.",
    "refused.bad_seed": "The seed must be a whole number from 0 to {max}.",
    "refused.count": "You can make 1 to {max} videos at once on this server.",
    "refused.batch.money": "These {count} videos cost {needed} in all, more than is left "
    "({remaining} until {resets}). Nothing was held.",
    "refused.batch.line": "Only {fits} of these {count} videos fit in line now. Nothing was held.",
    "refused.no_images": "Attach at least one image (PNG, JPEG or WebP) to animate.",
    "refused.too_many_images": "{model} takes at most {max} image(s). Remove some and try again.",
    "refused.image_type": "`{filename}` is not a PNG, JPEG or WebP image. Attach one of those.",
    "refused.image_too_big": "`{filename}` is larger than {max_mb} MB. Attach a smaller image.",
    "refused.image_too_small": "`{filename}` is too small: images need at least "
    "{min_px}x{min_px} pixels.",
    "refused.image_host": "`{filename}` is not hosted on Discord. Attach the image to the "
    "command itself.",
    "refused.image_empty": "`{filename}` is empty (0 bytes). Attach the image again.",
    "refused.image_unreadable": "`{filename}` could not be read as an image: Discord gives it "
    "no size in pixels. Attach a PNG, JPEG or WebP image.",
    "refused.attachment_missing": "One of the attached images did not arrive with the command. "
    "Attach it again and run the command once more.",
    "refused.budget.user": "This video costs {needed}, but you have {remaining} left until "
    "{resets}. Try a shorter or lower-resolution video, or ask an admin for more.",
    "refused.budget.role": "This video costs {needed}, but you have {remaining} left until "
    "{resets}. Try a shorter or lower-resolution video, or ask an admin for more.",
    "refused.budget.guild": "This server has used its video budget: {remaining} left until "
    "{resets}, and this video costs {needed}. An admin can raise the server cap.",
    "refused.budget.bot": "The bot has used its video budget for every server: {remaining} "
    "left until {resets}, and this video costs {needed}. Please try again after the reset.",
    "refused.budget.not_allowed": "Video generation is not enabled for you on this server. "
    "Ask an admin if you think it should be.",
    "refused.budget.user_concurrency": "You already have {open} videos in line or in "
    "progress, the most you may have at once. Wait for one to finish, then try again.",
    "refused.budget.guild_concurrency": "This server's line is full: {waiting} videos are "
    "waiting and {running} are being made. Try again when some have started.",
    "refused.wrong_channel": "Videos are made in {channels} on this server. Run the command there.",
    "refused.model_not_allowed": "{model} is not available on this server. Pick another "
    "model, or leave the option out for the server's default.",
    "refused.no_model_allowed": "No model for this command is available on this server. "
    "Ask an admin.",
    "refused.resolution_not_allowed": "{resolution} videos are not available on this "
    "server. Pick a lower resolution, or leave the option out.",
    "refused.no_resolution_allowed": "{model} offers no resolution this server allows. "
    "Pick another model.",
    "refused.guild_only": "Videos can only be made in a server, not in direct messages.",
    "refused.shutting_down": "The bot is restarting. Try again in a minute.",
    "refused.ledger_busy": "The bot's ledger is busy right now, so nothing was held or "
    "charged. Try again in a minute; tell an admin if it keeps happening.",
    "error.unexpected": "Something went wrong on our side (job {job_id}). Nothing was "
    "charged. Try again, and tell an admin if it keeps happening.",
    "error.cooldown": "You checked a moment ago. Try again {when}.",
    "error.not_admin": "Only members with the Manage Server permission can do this.",
    # The job's message.
    "job.title": "Video",
    "job.title_simulated": "Video (simulated: nothing is billed)",
    "job.field.model": "Model",
    "job.field.duration": "Duration",
    "job.field.resolution": "Resolution",
    "job.field.seed": "Seed",
    "job.field.images": "Images",
    "job.field.batch": "Batch",
    "job.batch": "{index} of {count}",
    "job.field.cost": "Cost",
    "job.field.status": "Status",
    "job.field.left": "You have left",
    "job.quoted": "{amount} (quoted)",
    "job.charged": "{amount} charged",
    "job.left": "{remaining} until {resets}",
    "status.awaiting_approval": "Waiting for an admin's approval (until {deadline}). The "
    "amount is on hold; nothing is charged unless the video is made.",
    "status.queued": "Queued",
    "status.confirmed_by_call": "Atlas confirmed this video after all: its first answer was "
    "lost on the way.",
    "status.queued_position": "Queued: number {position} in line in this server",
    "status.queued_starts": "Queued: number {position} in line in this server, expected to "
    "start {starts}",
    "status.uploading": "Uploading your images",
    "status.submitted": "Submitted to Atlas Cloud",
    "status.generating": "Generating: started {started}, usually takes about {expected}",
    "status.generating_unstarted": "Generating: usually takes about {expected}",
    "status.downloading": "Fetching your video",
    "status.downloading_retry": "Fetching your video: Atlas's storage is not answering, so "
    "the bot keeps trying until {until}",
    "status.compressing": "Compressing for Discord",
    "status.compressing_waiting": "Compressing for Discord: waiting for the encoder, {ahead} ahead",
    "status.delivered": "Done in {elapsed}",
    "status.failed": "Failed: nothing was charged",
    "status.cancelled": "Cancelled: nothing was charged",
    "status.uncertain": "We could not confirm whether Atlas started this video. The amount "
    "stays on hold until an admin checks; you are only charged if it ran.",
    "job.compressed": "{resolution}, compressed to fit {limit}. The original ({size}): "
    "{link}, kept by Atlas until {expires}.",
    "job.compressed_link": "{resolution}, compressed to fit {limit}. The original ({size}): "
    "{link}.",
    "job.link.download": "[download it]({url})",
    "job.link.download_flagged": "||<{url}>|| (behind a spoiler)",
    "job.limit.server": "this server's {size} limit",
    "job.limit.dm": "the {size} limit of direct messages",
    "job.link.cannot_fit": "The video ({size}) is too large for {limit}, even compressed: {link}.",
    "job.link.too_big_to_fetch": "The video is too large for the bot to fetch: {link}.",
    "job.link.download_failed": "The download of the video from Atlas failed, so it could "
    "not be attached: {link}.",
    "job.link.unreadable": "The video ({size}) is over {limit}, and the bot could not read "
    "it to compress it: {link}.",
    "job.link.encoder_failed": "The video ({size}) is over {limit}, and compressing it "
    "failed: {link}.",
    "job.link.no_encoder": "The video is over {limit}, and this bot cannot compress videos "
    "(it has no encoder): {link}.",
    "job.link.refused": "The video is too large to attach here: {link}.",
    "job.link.expires": "Atlas keeps it until {expires}: save it before then.",
    "job.link.soon": "Atlas keeps it only for a limited time, so save it soon.",
    "job.link.charged": "It is charged all the same: Atlas made the video and billed it.",
    "job.no_output": "Atlas finished the job but sent no video file.",
    "failure.content_rejected": "Atlas's content moderation rejected this request. Try a "
    "different prompt or images.",
    "failure.atlas_unavailable": "Atlas Cloud is not answering right now. Try again in a few "
    "minutes.",
    "failure.atlas_busy": "Atlas Cloud is busy (rate limited). Try again in a minute.",
    "failure.atlas_key_rejected": "Atlas Cloud rejected the bot's API key. An admin needs to "
    "check ATLASCLOUD_API_KEY.",
    "failure.atlas_no_balance": "The server owner's Atlas Cloud account is out of balance. "
    "An admin needs to top it up.",
    "failure.atlas_refused": "Atlas Cloud refused the request: {detail}",
    "failure.image_unusable": "One of the images could not be used ({detail}). Run /animate "
    "again with another image.",
    "failure.timed_out": "Atlas did not finish the video in time.",
    "failure.hold_expired": "The job waited too long to start. Press Re-roll to try again.",
    "failure.restarted": "The bot restarted before this video was started. Press Re-roll "
    "to try again.",
    "failure.generation_failed": "Atlas could not generate this video.",
    "failure.internal": "Something went wrong on our side.",
    "failure.approval_denied": "An admin declined this video.",
    "failure.approval_timed_out": "No admin approved this video in time.",
    "button.reroll": "Re-roll",
    "button.cancel": "Cancel",
    "button.approve": "Approve",
    "button.deny": "Deny",
    "button.edit": "Edit prompt",
    "button.info": "Info",
    "button.delete": "Delete",
    "cancel.done": "Cancelled. The hold was released; nothing was charged.",
    "cancel.not_yours": "Only the member who asked for this video can cancel it.",
    "cancel.too_late": "Too late to cancel: the video is already being generated.",
    "cancel.unknown": "This job is no longer known to the bot.",
    "reroll.not_allowed": "This server does not let you use /video here, so you cannot "
    "re-roll or edit videos here either.",
    "reroll.access_unknown": "Discord did not tell us whether you may use /video here just "
    "now. Try again in a moment.",
    "reroll.unknown": "The original job is no longer known, so it cannot be re-rolled.",
    "approval.approved": "Approved: the video takes its place in line.",
    "approval.denied": "Denied: the hold is released and the member sees why.",
    "approval.unknown": "This job is no longer waiting for an approval.",
    "delete.done": "Deleted. The job stays in the ledger and in /history.",
    "delete.not_yours": "Only the member who asked for this video or a moderator (Manage "
    "Messages) can delete it.",
    "delete.not_finished": "This job is still running: cancel it or wait until it ends.",
    "delete.unknown": "This job is no longer known to the bot.",
    "edit.title": "Edit the prompt",
    "edit.label": "Prompt",
    # Info on a job.
    "info.title": "Job details",
    "info.field.requester": "Requested by",
    "info.field.options": "Options",
    "info.field.state": "State",
    "info.field.prediction": "Prediction id",
    "info.field.quoted": "Quoted",
    "info.field.charged": "Charged",
    "info.field.approved_by": "Approved by",
    "info.field.timings": "Timings",
    "info.none": "none",
    "info.released": "nothing (the hold was released)",
    "info.on_hold": "{amount} on hold",
    "info.requested": "Requested {at}",
    "info.submitted": "Sent to Atlas {at}, {wait} after the request",
    "info.ended": "Ended {at}, {took} after it was sent",
    "info.ended_unsent": "Ended {at}",
    "info.field.file": "Video file",
    "info.file.original": "Atlas's original: {size}",
    "info.file.as_is": "Attached as it is",
    "info.file.compressed": "Attached: {size}, {width}x{height}, compressed to fit {limit}",
    "info.file.link": "Not attached: {reason}",
    "info.link.cannot_fit": "too large, even compressed",
    "info.link.too_big_to_fetch": "too large to fetch",
    "info.link.download_failed": "the download failed",
    "info.link.unreadable": "the encoder could not read it",
    "info.link.encoder_failed": "compressing failed",
    "info.link.no_encoder": "no encoder to compress it",
    "info.link.refused": "Discord refused the upload",
    "info.link.no_output": "Atlas sent no file",
    # What became of a job (/history, Info).
    "state.quoted": "Quoted",
    "state.held": "Waiting",
    "state.uploading": "Uploading",
    "state.submitting": "Submitting",
    "state.submitted": "Submitted",
    "state.generating": "Generating",
    "state.downloading": "Downloading",
    "state.delivered": "Delivered",
    "state.failed": "Failed",
    "state.rejected": "Rejected by moderation",
    "state.cancelled": "Cancelled",
    "state.expired": "Expired",
    "state.uncertain": "Uncertain (on hold)",
    # /history and /queue.
    "history.title": "Your recent videos",
    "history.title_member": "Recent videos of {name}",
    "history.none": "No videos yet.",
    "history.released": "nothing charged",
    "history.deleted": "message deleted",
    "history.not_admin": "Only members with the Manage Server permission can see another "
    "member's videos.",
    "queue.title": "Videos waiting and running on this server",
    "queue.empty": "Nothing is waiting or running right now.",
    "queue.yours": "Yours",
    "queue.others": "Everyone else",
    "queue.more": "…and {count} more",
    "queue.stage.approval": "waiting for an admin's approval",
    "queue.stage.waiting": "number {position} in line",
    "queue.stage.running": "running",
    "queue.elapsed": "for {elapsed}",
    # /settings.
    "settings.title": "Video settings of this server",
    "settings.saved": "Saved.",
    "settings.updated": "Last changed {when} by {user}.",
    "settings.never": "Nothing changed yet: every value comes from the bot's config.",
    "settings.field.video_model": "Default model for /video",
    "settings.field.animate_model": "Default model for /animate",
    "settings.field.duration": "Default duration",
    "settings.field.resolution": "Default resolution",
    "settings.field.aspect_ratio": "Default aspect ratio",
    "settings.field.blocked_models": "Models members may not use",
    "settings.field.blocked_resolutions": "Resolutions members may not use",
    "settings.field.channels": "Channels for videos",
    "settings.field.approval": "Approval",
    "settings.from_config": "{value} (bot default)",
    "settings.none_blocked": "None: all are allowed",
    "settings.everywhere": "Every channel",
    "settings.approval_off": "Off: no video waits for an admin",
    "settings.approval_on": "Videos quoted above {amount} wait up to {minutes} min for an "
    "admin's Approve or Deny",
    "settings.unknown_model": "There is no model called `{model}` here. Pick one from the "
    "list the command offers.",
    "settings.wrong_model_kind": "{model} cannot be the default of that command.",
    "settings.default_blocked": "{model} is the server's default model: choose another "
    "default before forbidding it.",
    "settings.all_blocked": "At least one model must stay allowed for each command.",
    "settings.unknown_value": "`{value}` is not offered by any model.",
    "settings.default_resolution_blocked": "{resolution} is the server's default "
    "resolution: choose another default before forbidding it.",
    "settings.all_resolutions_blocked": "At least one resolution must stay allowed.",
    "settings.too_many_channels": "At most {max} channels can be listed.",
    "settings.bad_threshold": "The approval threshold cannot be negative.",
    "settings.bad_timeout": "The waiting time must be at least a minute.",
    "settings.bad_count": "The most videos at once must be from 1 to {max}.",
    "settings.field.max_count": "Videos per command",
    # Where finished videos go (/settings delivery) and what the job message then says.
    "settings.field.delivery": "Where finished videos go",
    "settings.delivery_override": "{channel}: {mode}",
    "settings.unknown_delivery": "That is not a way to deliver videos.",
    "settings.gallery_missing": "Choose the gallery channel too, with the `gallery` option.",
    "settings.too_many_overrides": "At most {max} channels can have a delivery mode of their own.",
    "delivery.mode.channel": "In the channel where the video was asked for",
    "delivery.mode.thread": "In a thread started from the video's message",
    "delivery.mode.gallery": "In the gallery channel {channel}, with a link back",
    "delivery.mode.dm": "By direct message to the member (in the channel when their direct "
    "messages are closed)",
    "delivery.in_thread": "Your video is in the thread {thread}.",
    "delivery.in_gallery": "Your video is in {channel}: [open it]({url}).",
    "delivery.in_dm": "Your video was sent to you by direct message.",
    "delivery.dm_closed": "Your direct messages are closed, so your video is here instead.",
    "delivery.fallback": "The video could not be posted where this server sends videos, so "
    "it is here instead.",
    "delivery.thread_post": "{user}, here is your video.",
    "delivery.from": "Requested by {user}: [see the request]({url}).",
    # A cheaper way, offered with a refusal for an exhausted budget.
    "offer.fits": "{options} costs {price} and fits. Press the button to make that instead.",
    "offer.batch": "{count} of them ({price} in all) fit. Press the button to make those instead.",
    "offer.options": "{duration} s at {resolution}",
    "offer.options_model": "{model}, {duration} s at {resolution},",
    "button.offer": "Make it for {price}",
    "offer.gone": "This offer was already used or has expired. Run the command again.",
    "offer.not_yours": "This offer is for the member who asked for the video.",
    # The budget forecast on /budget and /budget-admin report.
    "forecast.field": "At this pace",
    "forecast.member.runs_out": "At your pace of {pace} a day, your budget runs out around "
    "{date} ({when}).",
    "forecast.member.lasts": "At your pace of {pace} a day, your budget lasts until it "
    "resets {resets}.",
    "forecast.member.used_up": "Your budget is used up until it resets {resets}.",
    "forecast.server.runs_out": "At this server's pace of {pace} a day, the server cap is "
    "reached around {date} ({when}).",
    "forecast.server.lasts": "At this server's pace of {pace} a day, the server cap lasts "
    "until it resets {resets}.",
    "forecast.server.used_up": "The server cap is used up until it resets {resets}.",
    "forecast.no_spend": "Nothing spent yet this {period}.",
    "forecast.chart": "Daily spend this {period}: the chart below.",
    # The Copy command button on a finished video.
    "button.copy": "Copy command",
    "copy.intro": "Run this to make the same video again:",
    "copy.images": "Attach the same {count} image(s) to the image options.",
    # Safety (#11): prompt rules, age-restricted channels, pauses, flagged videos, the log.
    "refused.prompt_rule": "This server's rules do not allow this prompt (rule: {rule}). "
    "Nothing was held or charged. Change the prompt and try again.",
    "refused.prompt_too_complex": "Your prompt grows too long once its special characters are "
    "spelled out to be checked against this server's rules. Nothing was held or charged. Use "
    "plain letters and try again.",
    "refused.prompt_rules_unavailable": "This server's prompt rules could not be checked "
    "just now, so nothing was held or charged. Try again, perhaps with a shorter prompt; "
    "tell an admin if it keeps happening.",
    "refused.nsfw_only": "On this server, videos are made only in age-restricted channels. "
    "Run the command in one of those.",
    "refused.member_paused": "Your video access on this server is paused after repeated "
    "rejections by Atlas's content moderation. An admin can lift the pause.",
    "failure.content_rejected_paused": "Atlas's content moderation rejected this request. "
    "It has rejected too many of your requests today, so your video access on this server "
    "is paused until an admin lifts it.",
    "status.held_for_review": "Atlas flagged this video as possibly sensitive, so it is "
    "held until a moderator approves or removes it. It was charged: Atlas made it.",
    "status.removed": "A moderator removed this video, which Atlas had flagged as "
    "sensitive. It was charged: Atlas made it.",
    "job.flagged_note": "⚠️ Content note: Atlas flagged this video as possibly sensitive, "
    "so it is hidden behind a spoiler.",
    "review.not_moderator": "Only moderators (Manage Messages) can approve or remove a held video.",
    "review.unknown": "This video is no longer waiting for a moderator.",
    "review.approved": "Approved: the video is now shown, behind a spoiler.",
    "review.removed": "Removed: the video is deleted. The job stays in the ledger.",
    "modlog.rejected": "🚫 Atlas's content moderation rejected a video by {user} (job "
    "`{job}`): {count} of {limit} today.",
    "modlog.paused": "⏸️ Atlas's content moderation rejected a video by {user} (job "
    "`{job}`): {count} of {limit} today, so their video access is now paused. An admin can "
    "lift it with /settings unpause.",
    "modlog.unpaused": "▶️ {by} lifted the pause on {user}'s video access.",
    "modlog.held": "🔞 Atlas flagged a video by {user} (job `{job}`) as sensitive; it waits "
    "for a moderator: {link}",
    "modlog.approved": "✅ {by} approved the flagged video by {user} (job `{job}`).",
    "modlog.removed": "🗑️ {by} removed the flagged video by {user} (job `{job}`).",
    "settings.cannot_post.gallery.one": "I cannot post videos in {channel}: I am missing "
    "{missing} there. Allow it for me in the channel's permissions, then try again.",
    "settings.cannot_post.gallery.many": "I cannot post videos in {channel}: I am missing "
    "{missing} there. Allow them for me in the channel's permissions, then try again.",
    "settings.cannot_post.log.one": "I cannot post moderation events in {channel}: I am "
    "missing {missing} there. Allow it for me in the channel's permissions, then try again.",
    "settings.cannot_post.log.many": "I cannot post moderation events in {channel}: I am "
    "missing {missing} there. Allow them for me in the channel's permissions, then try again.",
    "permission.view_channel": "View Channel",
    "permission.send_messages": "Send Messages",
    "permission.embed_links": "Embed Links",
    "permission.attach_files": "Attach Files",
    "list.and": "and",
    "settings.field.prompt_rules": "Prompt rules",
    "settings.no_rules": "None: every prompt is allowed",
    "settings.rule_words": "**{label}**: {count} word(s): {words}",
    "settings.rule_regex": "**{label}**: pattern `{pattern}`",
    "settings.field.safety": "Safety",
    "settings.nsfw_only_on": "Videos only in age-restricted channels",
    "settings.nsfw_only_off": "Videos in any channel, age-restricted or not",
    "settings.log_channel": "Moderation events are written in {channel}",
    "settings.no_log_channel": "No log channel for moderation events",
    "settings.rejection_limit": "A member is paused after {count} rejections by Atlas's "
    "moderation in a day",
    "settings.flagged.spoiler": "Videos Atlas flags are shown behind a spoiler, with a "
    "content note",
    "settings.flagged.review": "Videos Atlas flags wait for a moderator's Approve or Delete",
    "settings.unpaused": "{user} may make videos again.",
    "settings.not_paused": "{user} is not paused.",
    "settings.bad_rejection_limit": "The rejection limit must be from 1 to {max}.",
    "settings.bad_flagged_outputs": "`{value}` is not a way to handle flagged videos.",
    "rules.too_many": "A server can have at most {max} prompt rules.",
    "rules.bad_label": "A rule needs a label of 1 to {max} characters.",
    "rules.duplicate_label": "Two rules cannot share the label {label}.",
    "rules.words_or_regex": "Give a rule either words or a regular expression: one of the two.",
    "rules.too_many_words": "A rule can hold at most {max} words.",
    "rules.bad_word": "Each blocked word needs 1 to {max} characters, letters included.",
    "rules.unknown_label": "There is no rule labelled {label}.",
    "rules.regex.too_long": "A regular expression can be at most {max} characters long.",
    "rules.regex.invalid": "That is not a valid regular expression.",
    "rules.regex.backreference": "Back-references (like \\1) are not allowed in a rule's "
    "regular expression.",
    "rules.regex.nested": "This regular expression repeats a repetition (like (a+)+), which "
    "can take forever on some prompts, so it was not saved. Simplify it.",
    "rules.regex.huge_repeat": "Repeat counts above 1000 are not allowed in a rule.",
    "rules.regex.slow": "This regular expression is too slow on long prompts, so it was not "
    "saved. Simplify it: avoid repeating a repetition, or starting with .*",
    # /budget and /budget-admin.
    "budget.title": "Your video budget",
    "budget.spent": "Spent",
    "budget.held": "On hold",
    "budget.limit": "Limit",
    "budget.granted": "Extra credit",
    "budget.remaining": "Left",
    "budget.resets": "Resets",
    "budget.recent": "Recent jobs",
    "budget.none": "No jobs yet.",
    "admin.user_limit_set": "Limit for {user} set to {amount} per {period}.",
    "admin.user_limit_cleared": "Limit for {user} is back to the default.",
    "admin.role_limit_set": "Limit for members with {role} set to {amount} per {period}.",
    "admin.role_limit_cleared": "Role {role} no longer has a limit of its own.",
    "admin.cap_set": "Server cap set to {amount} per {period}.",
    "admin.cap_cleared": "Server cap is back to the default.",
    "admin.granted": "Granted {amount} to {user}: {reason}",
    "admin.bad_amount": "`{value}` is not an amount in USD. Write it like `2.50`.",
    "admin.report_title": "Video spend this {period}",
    "admin.report_top": "Top spenders",
    "admin.report_uncertain": "Uncertain jobs (settle with /budget-admin resolve)",
    "admin.report_confirmed": "Found again by Atlas's call",
    "admin.report_confirmed_count": "{count} job(s) whose submit answer was lost were confirmed "
    "by Atlas's webhook call, then delivered and charged as usual (no admin needed).",
    "admin.resolved_charge": "Job `{job}` is charged.",
    "admin.resolved_release": "Job `{job}` is released: nothing is charged.",
    "admin.resolve_unknown": "`{job}` is not an uncertain job of this server.",
    "admin.forgotten": "{user} is forgotten on this server: the prompts and links of their "
    "{jobs} jobs are erased, their held videos deleted, and their spending is kept under an "
    "anonymous id (the server's totals do not change).",
    "admin.forget_busy": "{user} has a video being made right now. Try again once it has finished.",
    "privacy.prompt_erased": "(prompt erased)",
    "privacy.forgotten_member": "(a forgotten member)",
    "privacy.job_erased": "This job's prompt was erased (this server keeps prompts only for a "
    "while), so it cannot be made again from here. Run /video with a new prompt.",
    "admin.export_done": "Ledger export from {since} to {until}.",
    # The operator's view (bot/operator): the Atlas balance, budget alerts, reconciliation.
    "refused.atlas_balance": "The bot's Atlas Cloud account is out of credit for this video "
    "({needed}), and the bot's operator has been told. Nothing was held or charged: try again "
    "later.",
    "alert.member.near": "📊 You have used {percent}% of your video budget on **{server}**: "
    "{spent} of {budget}. It resets {resets}.",
    "alert.member.full": "📊 You have used all of your video budget on **{server}** ({spent} "
    "of {budget}). It resets {resets}; an admin can grant you more.",
    "alert.server.near": "📊 This server has used {percent}% of its video cap: {spent} of "
    "{budget}, until it resets {resets}.",
    "alert.server.full": "📊 This server has used its whole video cap ({spent} of {budget}): "
    "videos are refused until it resets {resets}, unless an admin raises the cap.",
    "alert.bot.near": "📊 The bot-wide cap is {percent}% used: {spent} of {budget} across "
    "every server, until it resets {resets}.",
    "alert.bot.full": "🛑 The bot-wide cap is used up ({spent} of {budget}): every server's "
    "videos are refused until it resets {resets}.",
    "alert.balance.low": "⚠️ The Atlas Cloud balance is low: {balance} left, below "
    "{threshold}. Top up the Atlas account before members' videos are refused.",
    "alert.balance.recovered": "✅ The Atlas Cloud balance is back above {threshold}: {balance}.",
    "alert.balance.refused": "🛑 A video of {price} was refused: the Atlas Cloud balance is "
    "{balance}. Members hear that the bot is out of credit until the account is topped up.",
    "settings.field.alerts": "Budget alerts",
    "settings.alerts.members_on": "Members hear privately at {thresholds} of their limit",
    "settings.alerts.members_off": "Members get no budget alerts",
    "settings.alerts.cap_on": "The log channel hears at {thresholds} of the server cap",
    "settings.alerts.cap_off": "No server cap alerts",
    "settings.alerts.cap_no_channel": "Server cap alerts wait for a log channel "
    "(/settings safety log_channel)",
    "admin.report_atlas": "Atlas Cloud, yesterday ({day} UTC)",
    "admin.report_atlas_line": "Ledger {ledger} · Atlas billed {atlas} · difference {difference}",
    "admin.report_atlas_partial": "Ledger {ledger} · Atlas so far {atlas} (Atlas is still "
    "counting this day)",
    "admin.report_atlas_unreadable": "Atlas's costs could not be read: {reason}",
    "chart.title.member": "Your daily video spend",
    "chart.title.server": "This server's daily video spend",
    "chart.axis": "USD",
    "chart.spent": "Spent",
    "chart.today": "Today",
    "chart.pace": "Even pace",
    # Words filled into other messages as `{period}`.
    "period.day": "day",
    "period.week": "week",
    "period.month": "month",
    # /prefer: a member's own defaults in a server.
    "prefer.title": "Your video defaults on this server",
    "prefer.description": "Used when you leave an option out of /video or /animate, within "
    "what this server allows. Change them with `/prefer set`; `/prefer reset` goes back to "
    "the server's defaults.",
    "prefer.saved": "Saved.",
    "prefer.field.video_model": "Model for /video",
    "prefer.field.animate_model": "Model for /animate",
    "prefer.field.duration": "Length",
    "prefer.field.resolution": "Resolution",
    "prefer.field.aspect_ratio": "Aspect ratio",
    "prefer.field.dm": "By direct message",
    "prefer.not_set": "{value} (the server's default)",
    "prefer.dm_yes": "Yes: finished videos come to you by direct message",
    "prefer.dm_no": "No: where this server posts videos",
    "prefer.not_allowed_now": "⚠️ This server does not allow it now, so it is ignored.",
    "prefer.wrong_model_kind": "{model} cannot be used for that command.",
    "prefer.ignored.video_model": "Your model for /video, {value}, is not available on this "
    "server any more, so your videos use the server's default.",
    "prefer.ignored.animate_model": "Your model for /animate, {value}, is not available on "
    "this server any more, so your videos use the server's default.",
    "prefer.ignored.duration": "Your length, {value}, is no longer offered, so your videos use "
    "the server's default.",
    "prefer.ignored.resolution": "Your resolution, {value}, is not allowed on this server any "
    "more, so your videos use the server's default.",
    "prefer.ignored.aspect_ratio": "Your aspect ratio, {value}, is no longer offered, so your "
    "videos use the server's default.",
    "prefer.ignored.dm": "Videos made in this channel go to the server's gallery, so they do "
    "not come to you by direct message.",
    "prefer.ignored.footer": "See or change your defaults with `/prefer show` and "
    "`/prefer set`. You are told this once.",
    # Carrying a video further (#17): extend, edit, upscale, first and last frame, the prompt
    # helper. Refusals first: nothing was held or charged.
    "refused.no_last_frame_model": "No model on this server can end a video on a given image. "
    "Leave out last_image and loop.",
    "refused.no_last_frame": "{model} cannot end a video on a given image. Pick one that can "
    "({models}), or leave out last_image and loop.",
    "refused.needs_last_frame": "{model} makes a video from a first and a last image: give "
    "last_image, or loop to end on the first image.",
    "refused.loop_and_last_image": "Give last_image or loop, not both: a loop ends on the "
    "first image.",
    "refused.bad_loop": 'loop takes one value: pick "Yes: end on the first image" from the list.',
    "refused.no_video": "Attach a video (MP4, MOV or WebM) to edit.",
    "refused.video_empty": "`{filename}` is empty (0 bytes). Attach the video again.",
    "refused.video_type": "`{filename}` is not an MP4, MOV or WebM video. Attach one of those.",
    "refused.video_too_big": "`{filename}` is larger than {max_mb} MB, the most this can take. "
    "Attach a shorter or smaller video.",
    "refused.video_host": "`{filename}` is not hosted on Discord. Attach the video to the "
    "command itself.",
    "refused.video_too_long": "`{filename}` is {length} s long; {model} takes videos of at most "
    "{max} s (and {max_mb} MB). Trim it and try again.",
    "refused.video_too_short": "`{filename}` is {length} s long; {model} takes videos of at "
    "least {min} s.",
    "refused.extend_too_long": "This video is {length} s long: {added} s more would take it "
    "past {max} s, the longest {model} makes. Add at most {room} s.",
    "refused.video_download": "`{filename}` could not be downloaded from Discord. Try again in "
    "a moment.",
    "refused.video_unreadable": "`{filename}` could not be read as a video. Attach an MP4, MOV "
    "or WebM video.",
    "refused.video_upload_failed": "Atlas Cloud did not take the video just now. Nothing was "
    "held; try again in a moment.",
    "refused.video_gone": "This video is no longer attached to its message on Discord, so it "
    "cannot be used here.",
    "refused.atlas_schema": "Atlas Cloud would refuse this request for {model} ({detail}), so "
    "nothing was held. An admin should run `atlas-video-bot check`.",
    "refused.helper_off": "The prompt helper is turned off on this server.",
    "refused.helper_unavailable": "The prompt helper is not available: the bot has no chat "
    "model configured.",
    "refused.helper_uncertain": "We could not confirm whether Atlas answered, so the most it "
    "could cost stays on hold until an admin checks. Try again later.",
    "refused.helper_failed": "Atlas could not improve the prompt ({detail}). Nothing was charged.",
    "refused.helper_empty": "The prompt helper gave an empty answer (its tokens were charged). "
    "Try again.",
    "refused.helper_budget": "Improving this prompt holds up to {needed} (its most tokens), but "
    "you have {remaining} left until {resets}. Nothing was held.",
    "refused.helper_budget_shared": "Improving this prompt holds up to {needed}, but only "
    "{remaining} is left of the budget it would come from until {resets}.",
    "refused.helper_busy": "You have as many videos in line or in progress as you may: wait for "
    "one to finish, then improve the prompt.",
    # Buttons and forms.
    "button.extend": "Extend",
    "button.vedit": "Edit video",
    "button.upscale": "Upscale",
    "button.improve": "Improve prompt",
    "button.help_use": "Use",
    "button.help_edit": "Edit",
    "button.help_dismiss": "Dismiss",
    "carry.not_delivered": "Only a finished video can be extended, edited or upscaled.",
    "carry.unavailable": "No model for this is available on this server.",
    "carry.bad_seconds": "Type how many seconds to add, one of: {choices}.",
    "extend.title": "Extend this video",
    "extend.prompt_label": "What happens next?",
    "extend.seconds_label": "Seconds to add ({min}-{max})",
    "extend.seconds_hint": "{price} per second added: {example} s costs {total}",
    "vedit.title": "Edit this video",
    "vedit.label": "What should change?",
    "upscale.choose": "Upscale this video with {model} to:",
    "upscale.placeholder": "Pick a resolution",
    "price.per_second": "{amount} per second",
    "price.per_block": "{amount} per {seconds} s",
    "price.about": "{rule}: about {total} for this video",
    # The job message of a video made from another.
    "job.field.kind": "Made by",
    "kind.text-to-video": "Text to video",
    "kind.image-to-video": "Image to video",
    "kind.start-end-frame": "First and last frame",
    "kind.video-extend": "Extending a video",
    "kind.video-edit": "Editing a video",
    "kind.upscale": "Upscaling a video",
    "kind.llm": "Prompt helper",
    "job.extend_length": "+{added} s (to a {length} s video)",
    "job.field.last_frame": "Ends on",
    "job.last_frame.image": "the last image given",
    "job.last_frame.loop": "its first image (a loop)",
    "copy.last_image": "Attach the same image to last_image.",
    # The prompt helper.
    "helper.title": "Improved prompt",
    "helper.field.cost": "Cost",
    "helper.cost": "{charged} for {prompt_tokens} + {completion_tokens} tokens (at most {held} "
    "was held)",
    "helper.gone": "That improved prompt is no longer available.",
    "settings.field.prompt_helper": "Prompt helper",
    "settings.helper_on": "On: members may improve prompts (charged by tokens)",
    "settings.helper_off": "Off",
}

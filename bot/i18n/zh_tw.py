"""Traditional Chinese (Taiwan): every message key of the English one (same placeholders), and
the slash commands' names and descriptions (`COMMANDS`).

Written as members in Taiwan read Discord: 影片, 額度, 伺服器, 身分組 (Discord's own word for
roles), full-width punctuation, a space between Chinese and Latin text or numbers. Amounts
arrive already formatted ("USD 1.00"); `{resets}` is a Discord timestamp that each client
renders in its own language ("3 天後"), so it reads as "（3 天後重設）".

Long because it is data: one entry per message and per command text, key for key with English.
"""

from __future__ import annotations

import re

from bot.i18n.commands import CommandTable

LOCALE = "zh-TW"

MESSAGES: dict[str, str] = {
    # Refusals: nothing was held or charged.
    "refused.prompt_empty": "提示詞是空的。請描述你想要的影片，例如 "
    "`/影片 提示詞: 一隻在雪地裡奔跑的紅狐狸`。",
    "refused.prompt_too_long": "你的提示詞有 {length} 個字元，這個模型最多只接受 {limit} 個。"
    "請縮短後再試一次。",
    "refused.unknown_model": "這裡沒有名為 `{model}` 的模型。請從指令提供的清單中選擇。",
    "refused.wrong_model_kind": "{model} 不能用在這個指令。請從指令提供的清單中選擇模型。",
    "refused.invalid_option": "目前不提供這種選項組合：{detail}。",
    "refused.bad_seed": "種子必須是 0 到 {max} 之間的整數。",
    "refused.count": "這個伺服器一次可以製作 1 到 {max} 部影片。",
    "refused.batch.money": "這 {count} 部影片共需 {needed}，超過剩餘的額度"
    "（{remaining}，{resets}重設）。沒有預扣任何費用。",
    "refused.batch.line": "目前隊伍只容得下這 {count} 部影片中的 {fits} 部。沒有預扣任何費用。",
    "refused.no_images": "請至少附加一張圖片（PNG、JPEG 或 WebP）來製作影片。",
    "refused.too_many_images": "{model} 最多只接受 {max} 張圖片。請移除一些後再試一次。",
    "refused.image_type": "`{filename}` 不是 PNG、JPEG 或 WebP 圖片。請附加這幾種格式的圖片。",
    "refused.image_too_big": "`{filename}` 超過 {max_mb} MB。請附加較小的圖片。",
    "refused.image_too_small": "`{filename}` 太小了：圖片至少需要 {min_px}x{min_px} 像素。",
    "refused.image_host": "`{filename}` 不是存放在 Discord 上的檔案。請直接把圖片附加在指令中。",
    "refused.image_empty": "`{filename}` 是空的（0 位元組）。請重新附加圖片。",
    "refused.image_unreadable": "`{filename}` 無法讀取為圖片：Discord 沒有提供它的像素尺寸。"
    "請附加 PNG、JPEG 或 WebP 圖片。",
    "refused.attachment_missing": "有一張附加的圖片沒有隨指令一起送達。"
    "請重新附加後再執行一次指令。",
    "refused.budget.user": "這部影片需要 {needed}，但你目前只剩 {remaining}（{resets}重設）。"
    "請改用較短或解析度較低的影片，或請管理員提高額度。",
    "refused.budget.role": "這部影片需要 {needed}，但你目前只剩 {remaining}（{resets}重設）。"
    "請改用較短或解析度較低的影片，或請管理員提高額度。",
    "refused.budget.guild": "這個伺服器的影片額度已經用完：只剩 {remaining}（{resets}重設），"
    "而這部影片需要 {needed}。管理員可以提高伺服器上限。",
    "refused.budget.bot": "這個機器人在所有伺服器的影片額度已經用完：只剩 {remaining}"
    "（{resets}重設），而這部影片需要 {needed}。請在重設後再試一次。",
    "refused.budget.not_allowed": "你在這個伺服器上無法使用影片生成。"
    "如果你認為應該可以，請詢問管理員。",
    "refused.budget.user_concurrency": "你已經有 {open} 部影片在排隊或製作中，已達上限。"
    "請等其中一部完成後再試一次。",
    "refused.budget.guild_concurrency": "這個伺服器的隊伍已滿：{waiting} 部影片正在排隊，"
    "{running} 部正在製作。請等其中一些開始後再試一次。",
    "refused.wrong_channel": "這個伺服器只能在 {channels} 製作影片。請到那裡執行指令。",
    "refused.model_not_allowed": "這個伺服器不提供 {model}。請選擇其他模型，"
    "或不填這個選項以使用伺服器的預設模型。",
    "refused.no_model_allowed": "這個伺服器沒有可用於這個指令的模型。請詢問管理員。",
    "refused.resolution_not_allowed": "這個伺服器不提供 {resolution} 的影片。"
    "請選擇較低的解析度，或不填這個選項。",
    "refused.no_resolution_allowed": "{model} 沒有這個伺服器允許的解析度。請選擇其他模型。",
    "refused.guild_only": "影片只能在伺服器中製作，無法在私人訊息中使用。",
    "refused.shutting_down": "機器人正在重新啟動。請過一分鐘再試一次。",
    "refused.ledger_busy": "機器人的帳本目前忙碌中，沒有保留或收取任何費用。"
    "請一分鐘後再試；若持續發生，請通知管理員。",
    "error.unexpected": "我們這邊出了點問題（任務 {job_id}）。沒有收取任何費用。"
    "請再試一次；如果一直發生，請告訴管理員。",
    "error.cooldown": "你剛剛才查看過，請在{when}再試一次。",
    "error.not_admin": "只有具備「管理伺服器」權限的成員才能執行這項操作。",
    # The job's message.
    "job.title": "影片",
    "job.title_simulated": "影片（模擬：不會計費）",
    "job.field.model": "模型",
    "job.field.duration": "長度",
    "job.field.resolution": "解析度",
    "job.field.seed": "種子",
    "job.field.images": "圖片",
    "job.field.batch": "批次",
    "job.batch": "第 {index} 部，共 {count} 部",
    "job.field.cost": "費用",
    "job.field.status": "狀態",
    "job.field.left": "剩餘額度",
    "job.quoted": "{amount}（報價）",
    "job.charged": "已收取 {amount}",
    "job.left": "{remaining}（{resets}重設）",
    "status.awaiting_approval": "等候管理員核准（期限：{deadline}）。這筆金額會先預扣；"
    "只有在影片製作完成時才會收費。",
    "status.queued": "排隊中",
    "status.confirmed_by_call": "Atlas 之後確認了這部影片：它的第一次回應在傳送途中遺失了。",
    "status.queued_position": "排隊中：這個伺服器的第 {position} 位",
    "status.queued_starts": "排隊中：這個伺服器的第 {position} 位，預計{starts}開始",
    "status.uploading": "正在上傳你的圖片",
    "status.submitted": "已送交 Atlas Cloud",
    "status.generating": "生成中：{started}開始，通常約需 {expected}",
    "status.generating_unstarted": "生成中：通常約需 {expected}",
    "status.downloading": "正在取得你的影片",
    "status.downloading_retry": "正在取得你的影片：Atlas 的儲存空間沒有回應，機器人會持續重試，"
    "直到{until}",
    "status.compressing": "正在為 Discord 壓縮影片",
    "status.compressing_waiting": "正在為 Discord 壓縮影片：等候編碼器，前面還有 {ahead} 部",
    "status.delivered": "完成，耗時 {elapsed}",
    "status.failed": "失敗：沒有收取任何費用",
    "status.cancelled": "已取消：沒有收取任何費用",
    "status.uncertain": "我們無法確認 Atlas 是否已開始製作這部影片。這筆金額會先保留，"
    "直到管理員確認為止；只有在影片確實生成時才會收費。",
    "job.compressed": "{resolution}，已壓縮以符合{limit}。原始檔（{size}）：{link}，"
    "Atlas 會保留到 {expires}。",
    "job.compressed_link": "{resolution}，已壓縮以符合{limit}。原始檔（{size}）：{link}。",
    "job.link.download": "[下載影片]({url})",
    "job.link.download_flagged": "||<{url}>||（防雷）",
    "job.limit.server": "此伺服器 {size} 的上傳上限",
    "job.limit.dm": "私訊 {size} 的上傳上限",
    "job.link.cannot_fit": "影片（{size}）即使壓縮也超過{limit}：{link}。",
    "job.link.too_big_to_fetch": "影片太大，機器人無法取得：{link}。",
    "job.link.download_failed": "從 Atlas 下載影片失敗，因此無法附加：{link}。",
    "job.link.unreadable": "影片（{size}）超過{limit}，而且機器人無法讀取它來壓縮：{link}。",
    "job.link.encoder_failed": "影片（{size}）超過{limit}，壓縮失敗：{link}。",
    "job.link.no_encoder": "影片超過{limit}，而這個機器人沒有編碼器，無法壓縮影片：{link}。",
    "job.link.refused": "影片太大，無法直接附加在這裡：{link}。",
    "job.link.expires": "Atlas 會保留到 {expires}，請在那之前儲存。",
    "job.link.soon": "Atlas 只會保留一段時間，請盡快儲存。",
    "job.link.charged": "仍會收費：Atlas 已製作這部影片並已計費。",
    "job.no_output": "Atlas 已完成任務，但沒有傳回影片檔案。",
    "failure.content_rejected": "Atlas 的內容審查拒絕了這個請求。請換個提示詞或圖片再試試。",
    "failure.atlas_unavailable": "Atlas Cloud 目前沒有回應。請過幾分鐘再試一次。",
    "failure.atlas_busy": "Atlas Cloud 目前忙碌中（已達速率限制）。請過一分鐘再試一次。",
    "failure.atlas_key_rejected": "Atlas Cloud 拒絕了機器人的 API 金鑰。"
    "需要由管理員檢查 ATLASCLOUD_API_KEY。",
    "failure.atlas_no_balance": "伺服器擁有者的 Atlas Cloud 帳戶餘額不足。需要由管理員儲值。",
    "failure.atlas_refused": "Atlas Cloud 拒絕了這個請求：{detail}",
    "failure.image_unusable": "有一張圖片無法使用（{detail}）。"
    "請換一張圖片，再執行一次 /圖片轉影片。",
    "failure.timed_out": "Atlas 沒有在時限內完成這部影片。",
    "failure.hold_expired": "這個任務等候太久仍未開始。請按「重新生成」再試一次。",
    "failure.restarted": "機器人在這部影片開始製作前重新啟動了。請按「重新生成」再試一次。",
    "failure.generation_failed": "Atlas 無法生成這部影片。",
    "failure.internal": "我們這邊出了點問題。",
    "failure.approval_denied": "管理員拒絕了這部影片。",
    "failure.approval_timed_out": "沒有管理員在時限內核准這部影片。",
    "button.reroll": "重新生成",
    "button.cancel": "取消",
    "button.approve": "核准",
    "button.deny": "拒絕",
    "button.edit": "修改提示詞",
    "button.info": "詳細資訊",
    "button.delete": "刪除",
    "cancel.done": "已取消。預扣的金額已經釋出，沒有收取任何費用。",
    "cancel.not_yours": "只有提出這部影片的成員才能取消。",
    "cancel.too_late": "來不及取消了：影片已經在生成中。",
    "cancel.unknown": "機器人已經找不到這個任務。",
    "reroll.not_allowed": "這個伺服器不允許你在這裡使用「影片」指令，"
    "所以也不能在這裡重新產生或編輯影片。",
    "reroll.access_unknown": "Discord 暫時沒有告訴我們你能否在這裡使用「影片」指令。"
    "請稍後再試一次。",
    "reroll.unknown": "已經找不到原本的任務，所以無法重新生成。",
    "approval.approved": "已核准：影片已加入排隊。",
    "approval.denied": "已拒絕：預扣的金額已經釋出，成員會看到原因。",
    "approval.unknown": "這個任務已經不在等候核准。",
    "delete.done": "已刪除。這個任務仍保留在帳本和 /紀錄 中。",
    "delete.not_yours": "只有提出這部影片的成員或版主（具備「管理訊息」權限）才能刪除。",
    "delete.not_finished": "這個任務還在進行中：請取消它，或等它結束。",
    "delete.unknown": "機器人已經找不到這個任務。",
    "edit.title": "修改提示詞",
    "edit.label": "提示詞",
    # Info on a job.
    "info.title": "任務詳細資訊",
    "info.field.requester": "提出者",
    "info.field.options": "選項",
    "info.field.state": "狀態",
    "info.field.prediction": "預測編號",
    "info.field.quoted": "報價",
    "info.field.charged": "實際收費",
    "info.field.approved_by": "核准者",
    "info.field.timings": "時間",
    "info.none": "無",
    "info.released": "未收費（預扣已釋出）",
    "info.on_hold": "預扣 {amount}",
    "info.requested": "提出於 {at}",
    "info.submitted": "送交 Atlas 於 {at}，提出後 {wait}",
    "info.ended": "結束於 {at}，送交後 {took}",
    "info.ended_unsent": "結束於 {at}",
    "info.field.file": "影片檔案",
    "info.file.original": "Atlas 原始檔：{size}",
    "info.file.as_is": "以原檔附加",
    "info.file.compressed": "已附加：{size}，{width}x{height}，已壓縮以符合{limit}",
    "info.file.link": "未附加：{reason}",
    "info.link.cannot_fit": "即使壓縮也太大",
    "info.link.too_big_to_fetch": "太大，無法取得",
    "info.link.download_failed": "下載失敗",
    "info.link.unreadable": "編碼器無法讀取",
    "info.link.encoder_failed": "壓縮失敗",
    "info.link.no_encoder": "沒有可用的編碼器",
    "info.link.refused": "Discord 拒絕了上傳",
    "info.link.no_output": "Atlas 沒有傳回檔案",
    # What became of a job (/history, Info).
    "state.quoted": "已報價",
    "state.held": "等候中",
    "state.uploading": "上傳中",
    "state.submitting": "送出中",
    "state.submitted": "已送出",
    "state.generating": "生成中",
    "state.downloading": "下載中",
    "state.delivered": "已完成",
    "state.failed": "失敗",
    "state.rejected": "遭內容審查拒絕",
    "state.cancelled": "已取消",
    "state.expired": "已逾時",
    "state.uncertain": "結果不明（預扣中）",
    # /history and /queue.
    "history.title": "你最近的影片",
    "history.title_member": "{name} 最近的影片",
    "history.none": "目前還沒有影片。",
    "history.released": "未收費",
    "history.deleted": "訊息已刪除",
    "history.not_admin": "只有具備「管理伺服器」權限的成員才能查看其他成員的影片。",
    "queue.title": "這個伺服器中等候和製作中的影片",
    "queue.empty": "目前沒有等候或製作中的影片。",
    "queue.yours": "你的影片",
    "queue.others": "其他成員",
    "queue.more": "……還有 {count} 部",
    "queue.stage.approval": "等候管理員核准",
    "queue.stage.waiting": "排隊第 {position} 位",
    "queue.stage.running": "製作中",
    "queue.elapsed": "已經過 {elapsed}",
    # /settings.
    "settings.title": "這個伺服器的影片設定",
    "settings.saved": "已儲存。",
    "settings.updated": "最後由 {user} 於 {when}變更。",
    "settings.never": "尚未變更：所有值都來自機器人的設定檔。",
    "settings.field.video_model": "/影片 的預設模型",
    "settings.field.animate_model": "/圖片轉影片 的預設模型",
    "settings.field.duration": "預設長度",
    "settings.field.resolution": "預設解析度",
    "settings.field.aspect_ratio": "預設長寬比",
    "settings.field.blocked_models": "成員不能使用的模型",
    "settings.field.blocked_resolutions": "成員不能使用的解析度",
    "settings.field.channels": "可以製作影片的頻道",
    "settings.field.approval": "核准",
    "settings.from_config": "{value}（機器人預設）",
    "settings.none_blocked": "無：全部都可以使用",
    "settings.everywhere": "所有頻道",
    "settings.approval_off": "關閉：影片不需等候管理員",
    "settings.approval_on": "報價超過 {amount} 的影片最多等候 {minutes} 分鐘，"
    "由管理員按「核准」或「拒絕」",
    "settings.unknown_model": "這裡沒有名為 `{model}` 的模型。請從指令提供的清單中選擇。",
    "settings.wrong_model_kind": "{model} 不能當作這個指令的預設模型。",
    "settings.default_blocked": "{model} 是伺服器的預設模型：請先選擇其他預設模型再禁止它。",
    "settings.all_blocked": "每個指令都至少要保留一個可以使用的模型。",
    "settings.unknown_value": "沒有任何模型提供 `{value}`。",
    "settings.default_resolution_blocked": "{resolution} 是伺服器的預設解析度："
    "請先選擇其他預設解析度再禁止它。",
    "settings.all_resolutions_blocked": "至少要保留一個可以使用的解析度。",
    "settings.too_many_channels": "最多只能列出 {max} 個頻道。",
    "settings.bad_threshold": "核准門檻不能是負數。",
    "settings.bad_timeout": "等候時間至少要一分鐘。",
    "settings.bad_count": "一次最多部數必須是 1 到 {max}。",
    "settings.field.max_count": "每個指令的影片數",
    # Where finished videos go (/settings delivery) and what the job message then says.
    "settings.field.delivery": "完成的影片發布位置",
    "settings.delivery_override": "{channel}：{mode}",
    "settings.unknown_delivery": "這不是可用的影片發布方式。",
    "settings.gallery_missing": "請同時用「作品頻道」選項指定作品頻道。",
    "settings.too_many_overrides": "最多只能有 {max} 個頻道設定自己的發布方式。",
    "delivery.mode.channel": "在提出要求的頻道中",
    "delivery.mode.thread": "在從影片訊息建立的討論串中",
    "delivery.mode.gallery": "在作品頻道 {channel} 中，並附上原訊息的連結",
    "delivery.mode.dm": "以私人訊息傳給成員（成員關閉私人訊息時改在頻道中）",
    "delivery.in_thread": "你的影片在討論串 {thread} 中。",
    "delivery.in_gallery": "你的影片在 {channel}：[開啟影片]({url})。",
    "delivery.in_dm": "你的影片已用私人訊息傳送給你。",
    "delivery.dm_closed": "你關閉了私人訊息，所以影片改放在這裡。",
    "delivery.fallback": "影片無法發布到這個伺服器指定的位置，所以改放在這裡。",
    "delivery.thread_post": "{user}，這是你的影片。",
    "delivery.from": "由 {user} 提出：[查看原訊息]({url})。",
    # A cheaper way, offered with a refusal for an exhausted budget.
    "offer.fits": "{options}只需要 {price}，在你的額度之內。按下按鈕即可改做這個版本。",
    "offer.batch": "其中 {count} 部（共 {price}）在範圍之內。按下按鈕即可改做這些。",
    "offer.options": "{duration} 秒、{resolution} ",
    "offer.options_model": "{model}、{duration} 秒、{resolution} ",
    "button.offer": "改用 {price} 製作",
    "offer.gone": "這個提議已經用過或已經過期。請重新執行指令。",
    "offer.not_yours": "這個提議只給提出影片要求的成員使用。",
    # The budget forecast on /budget and /budget-admin report.
    "forecast.field": "照目前的速度",
    "forecast.member.runs_out": "照你每天 {pace} 的速度，額度大約會在 {date}（{when}）用完。",
    "forecast.member.lasts": "照你每天 {pace} 的速度，額度可以用到重設時（{resets}）。",
    "forecast.member.used_up": "你的額度已經用完（{resets}重設）。",
    "forecast.server.runs_out": "照這個伺服器每天 {pace} 的速度，大約會在 {date}（{when}）"
    "達到伺服器上限。",
    "forecast.server.lasts": "照這個伺服器每天 {pace} 的速度，伺服器上限可以用到重設時"
    "（{resets}）。",
    "forecast.server.used_up": "伺服器上限已經用完（{resets}重設）。",
    "forecast.no_spend": "這個{period}還沒有任何花費。",
    "forecast.chart": "這個{period}每天的花費：見下方圖表。",
    # The Copy command button on a finished video.
    "button.copy": "複製指令",
    "copy.intro": "執行這行指令即可再做一次相同的影片：",
    "copy.images": "請在圖片選項附加同樣的 {count} 張圖片。",
    # Safety (#11): prompt rules, age-restricted channels, pauses, flagged videos, the log.
    "refused.prompt_rule": "這個伺服器的規則不允許這個提示詞（規則：{rule}）。"
    "沒有保留或收取任何費用。請修改提示詞後再試一次。",
    "refused.prompt_too_complex": "你的提示詞在展開特殊字元以比對這個伺服器的規則後變得太長。"
    "沒有保留或收取任何費用。請改用一般文字後再試一次。",
    "refused.prompt_rules_unavailable": "目前無法檢查這個伺服器的提示詞規則，所以沒有保留或收取"
    "任何費用。請再試一次，或改用較短的提示詞；若持續發生，請通知管理員。",
    "refused.nsfw_only": "這個伺服器只在限制級頻道製作影片。請到限制級頻道執行指令。",
    "refused.member_paused": "由於你的請求多次遭 Atlas 內容審查拒絕，你在這個伺服器的影片權限"
    "已暫停。管理員可以解除暫停。",
    "failure.content_rejected_paused": "Atlas 的內容審查拒絕了這個請求。你今天被拒絕的次數太多，"
    "因此你在這個伺服器的影片權限已暫停，直到管理員解除為止。",
    "status.held_for_review": "Atlas 將這部影片標記為可能敏感的內容，因此影片會先保留，"
    "直到版主核准或移除。由於 Atlas 已製作影片，這筆費用已收取。",
    "status.removed": "版主已移除這部被 Atlas 標記為敏感內容的影片。"
    "由於 Atlas 已製作影片，這筆費用已收取。",
    "job.flagged_note": "⚠️ 內容提醒：Atlas 將這部影片標記為可能敏感的內容，影片已加上暴雷遮罩。",
    "review.not_moderator": "只有版主（具備「管理訊息」權限）才能核准或移除保留中的影片。",
    "review.unknown": "這部影片已經不在等候版主審核。",
    "review.approved": "已核准：影片現在會以暴雷遮罩顯示。",
    "review.removed": "已移除：影片已刪除。這個任務仍保留在帳本中。",
    "modlog.rejected": "🚫 Atlas 的內容審查拒絕了 {user} 的影片（任務 `{job}`）："
    "今天第 {count} 次，上限 {limit} 次。",
    "modlog.paused": "⏸️ Atlas 的內容審查拒絕了 {user} 的影片（任務 `{job}`）："
    "今天第 {count} 次，上限 {limit} 次，因此已暫停其影片權限。"
    "管理員可以用 /設定 解除暫停 解除。",
    "modlog.unpaused": "▶️ {by} 已解除 {user} 的影片權限暫停。",
    "modlog.held": "🔞 Atlas 將 {user} 的影片（任務 `{job}`）標記為敏感內容，"
    "正在等候版主審核：{link}",
    "modlog.approved": "✅ {by} 核准了 {user} 被標記的影片（任務 `{job}`）。",
    "modlog.removed": "🗑️ {by} 移除了 {user} 被標記的影片（任務 `{job}`）。",
    "settings.cannot_post.gallery.one": "我無法在 {channel} 發布影片："
    "我在那裡缺少「{missing}」權限。請在頻道的權限設定中允許我，然後再試一次。",
    "settings.cannot_post.gallery.many": "我無法在 {channel} 發布影片："
    "我在那裡缺少「{missing}」權限。請在頻道的權限設定中允許我，然後再試一次。",
    "settings.cannot_post.log.one": "我無法在 {channel} 記錄審查事件："
    "我在那裡缺少「{missing}」權限。請在頻道的權限設定中允許我，然後再試一次。",
    "settings.cannot_post.log.many": "我無法在 {channel} 記錄審查事件："
    "我在那裡缺少「{missing}」權限。請在頻道的權限設定中允許我，然後再試一次。",
    "permission.view_channel": "檢視頻道",
    "permission.send_messages": "傳送訊息",
    "permission.embed_links": "嵌入連結",
    "permission.attach_files": "附加檔案",
    "list.and": "和",
    "settings.field.prompt_rules": "提示詞規則",
    "settings.no_rules": "無：所有提示詞都允許",
    "settings.rule_words": "**{label}**：{count} 個字詞：{words}",
    "settings.rule_regex": "**{label}**：正規表示式 `{pattern}`",
    "settings.field.safety": "安全",
    "settings.nsfw_only_on": "只在限制級頻道製作影片",
    "settings.nsfw_only_off": "任何頻道都可以製作影片（不論是否為限制級）",
    "settings.log_channel": "審查事件會記錄在 {channel}",
    "settings.no_log_channel": "沒有記錄審查事件的頻道",
    "settings.rejection_limit": "成員一天內被 Atlas 內容審查拒絕 {count} 次後會被暫停",
    "settings.flagged.spoiler": "被 Atlas 標記的影片會加上暴雷遮罩和內容提醒",
    "settings.flagged.review": "被 Atlas 標記的影片會等候版主按「核准」或「刪除」",
    "settings.unpaused": "{user} 可以再次製作影片了。",
    "settings.not_paused": "{user} 目前沒有被暫停。",
    "settings.bad_rejection_limit": "拒絕次數上限必須介於 1 到 {max} 之間。",
    "settings.bad_flagged_outputs": "`{value}` 不是處理被標記影片的方式。",
    "rules.too_many": "每個伺服器最多只能有 {max} 條提示詞規則。",
    "rules.bad_label": "規則需要 1 到 {max} 個字元的標籤。",
    "rules.duplicate_label": "兩條規則不能使用相同的標籤 {label}。",
    "rules.words_or_regex": "每條規則請提供字詞或正規表示式，兩者擇一。",
    "rules.too_many_words": "每條規則最多只能有 {max} 個字詞。",
    "rules.bad_word": "每個封鎖字詞需要 1 到 {max} 個字元，且要包含文字。",
    "rules.unknown_label": "沒有標籤為 {label} 的規則。",
    "rules.regex.too_long": "正規表示式最多只能有 {max} 個字元。",
    "rules.regex.invalid": "這不是有效的正規表示式。",
    "rules.regex.backreference": "規則的正規表示式不能使用反向參照（例如 \\1）。",
    "rules.regex.nested": "這個正規表示式包含重複中的重複（例如 (a+)+），遇到某些提示詞時"
    "可能永遠跑不完，所以沒有儲存。請簡化它。",
    "rules.regex.huge_repeat": "規則中不能使用超過 1000 次的重複次數。",
    "rules.regex.slow": "這個正規表示式在長提示詞上太慢，所以沒有儲存。請簡化它："
    "避免重複中的重複，也避免以 .* 開頭。",
    # /budget and /budget-admin.
    "budget.title": "你的影片額度",
    "budget.spent": "已使用",
    "budget.held": "預扣中",
    "budget.limit": "上限",
    "budget.granted": "額外額度",
    "budget.remaining": "剩餘",
    "budget.resets": "重設時間",
    "budget.recent": "最近的任務",
    "budget.none": "目前還沒有任務。",
    "admin.user_limit_set": "已將 {user} 的上限設為每{period} {amount}。",
    "admin.user_limit_cleared": "{user} 的上限已恢復為預設值。",
    "admin.role_limit_set": "已將具有 {role} 身分組的成員上限設為每{period} {amount}。",
    "admin.role_limit_cleared": "{role} 身分組不再有自己的上限。",
    "admin.cap_set": "已將伺服器上限設為每{period} {amount}。",
    "admin.cap_cleared": "伺服器上限已恢復為預設值。",
    "admin.granted": "已給予 {user} {amount} 額外額度：{reason}",
    "admin.bad_amount": "`{value}` 不是有效的美元金額。請寫成像 `2.50` 這樣。",
    "admin.report_title": "本{period}影片支出",
    "admin.report_top": "花費最多的成員",
    "admin.report_uncertain": "結果不明的工作（請用 /額度管理 結算 處理）",
    "admin.report_confirmed": "由 Atlas 的回呼找回",
    "admin.report_confirmed_count": "有 {count} 個送出回應遺失的工作由 Atlas 的 webhook 回呼確認，"
    "之後照常交付並收費（不需要管理員處理）。",
    "admin.resolved_charge": "工作 `{job}` 已收費。",
    "admin.resolved_release": "工作 `{job}` 已釋放額度，不收費。",
    "admin.resolve_unknown": "`{job}` 不是本伺服器結果不明的工作。",
    "admin.forgotten": "已在這個伺服器遺忘 {user}：其 {jobs} 個工作的提示詞與連結已清除，"
    "待審影片已刪除，花費則以匿名編號保留（伺服器的總額不變）。",
    "admin.forget_busy": "{user} 目前有影片正在製作中。請等影片完成後再試一次。",
    "privacy.prompt_erased": "（提示詞已清除）",
    "privacy.forgotten_member": "（已遺忘的成員）",
    "privacy.job_erased": "這個工作的提示詞已清除（這個伺服器只保留提示詞一段時間），"
    "所以無法從這裡重新製作。請用新的提示詞執行「影片」指令。",
    "admin.export_done": "帳本匯出：{since} 至 {until}。",
    # Words filled into other messages as `{period}`: "每月", "本週".
    "period.day": "日",
    "period.week": "週",
    "period.month": "月",
    # /偏好：成員自己在伺服器中的預設值。
    "prefer.title": "你在這個伺服器的影片預設值",
    "prefer.description": "在 /影片 或 /圖片轉影片 中沒有填寫選項時使用，但仍以這個伺服器允許的"
    "範圍為準。用 `/偏好 設定` 變更；用 `/偏好 重設` 恢復為伺服器的預設值。",
    "prefer.saved": "已儲存。",
    "prefer.field.video_model": "/影片 的模型",
    "prefer.field.animate_model": "/圖片轉影片 的模型",
    "prefer.field.duration": "長度",
    "prefer.field.resolution": "解析度",
    "prefer.field.aspect_ratio": "長寬比",
    "prefer.field.dm": "以私人訊息傳送",
    "prefer.not_set": "{value}（伺服器的預設值）",
    "prefer.dm_yes": "是：完成的影片會以私人訊息傳給你",
    "prefer.dm_no": "否：發布在這個伺服器指定的位置",
    "prefer.not_allowed_now": "⚠️ 這個伺服器目前不允許，因此不會套用。",
    "prefer.wrong_model_kind": "{model} 不能用在那個指令。",
    "prefer.ignored.video_model": "你為 /影片 選的模型 {value} 在這個伺服器已不再提供，"
    "因此你的影片會使用伺服器的預設值。",
    "prefer.ignored.animate_model": "你為 /圖片轉影片 選的模型 {value} 在這個伺服器已不再提供，"
    "因此你的影片會使用伺服器的預設值。",
    "prefer.ignored.duration": "你選的長度 {value} 已不再提供，因此你的影片會使用伺服器的預設值。",
    "prefer.ignored.resolution": "這個伺服器已不再允許你選的解析度 {value}，"
    "因此你的影片會使用伺服器的預設值。",
    "prefer.ignored.aspect_ratio": "你選的長寬比 {value} 已不再提供，"
    "因此你的影片會使用伺服器的預設值。",
    "prefer.ignored.dm": "在這個頻道製作的影片會發布到伺服器的作品頻道，因此不會以私人訊息傳給你。",
    "prefer.ignored.footer": "用 `/偏好 查看` 和 `/偏好 設定` 查看或變更你的預設值。"
    "這則提醒只會出現一次。",
    # The operator's view (bot/operator): the Atlas balance, budget alerts, reconciliation.
    "refused.atlas_balance": "機器人的 Atlas Cloud 帳戶餘額不足以製作這部影片（{needed}），"
    "已通知機器人的管理者。沒有保留或收取任何費用，請稍後再試。",
    "alert.member.near": "📊 你在 **{server}** 已用掉影片額度的 {percent}%：{spent}／{budget}。"
    "額度將於 {resets} 重設。",
    "alert.member.full": "📊 你在 **{server}** 的影片額度已全部用完（{spent}／{budget}）。"
    "額度將於 {resets} 重設；管理員可以再給你額度。",
    "alert.server.near": "📊 本伺服器已用掉影片上限的 {percent}%：{spent}／{budget}，"
    "將於 {resets} 重設。",
    "alert.server.full": "📊 本伺服器的影片上限已全部用完（{spent}／{budget}）：在 {resets} "
    "重設前影片都會被拒絕，除非管理員提高上限。",
    "alert.bot.near": "📊 機器人整體上限已使用 {percent}%：所有伺服器合計 {spent}／{budget}，"
    "將於 {resets} 重設。",
    "alert.bot.full": "🛑 機器人整體上限已用完（{spent}／{budget}）：在 {resets} 重設前，"
    "所有伺服器的影片都會被拒絕。",
    "alert.balance.low": "⚠️ Atlas Cloud 餘額偏低：剩下 {balance}，低於 {threshold}。"
    "請在成員的影片被拒絕之前為 Atlas 帳戶儲值。",
    "alert.balance.recovered": "✅ Atlas Cloud 餘額已回到 {threshold} 以上：{balance}。",
    "alert.balance.refused": "🛑 一部 {price} 的影片被拒絕：Atlas Cloud 餘額只有 {balance}。"
    "帳戶儲值之前，成員會看到機器人額度不足的訊息。",
    "settings.field.alerts": "額度提醒",
    "settings.alerts.members_on": "成員用到額度的 {thresholds} 時會收到私人提醒",
    "settings.alerts.members_off": "成員不會收到額度提醒",
    "settings.alerts.cap_on": "伺服器上限用到 {thresholds} 時會在紀錄頻道提醒",
    "settings.alerts.cap_off": "不提醒伺服器上限",
    "settings.alerts.cap_no_channel": "伺服器上限提醒需要先設定紀錄頻道（/設定 安全 紀錄頻道）",
    "admin.report_atlas": "Atlas Cloud，昨天（UTC {day}）",
    "admin.report_atlas_line": "帳本 {ledger} · Atlas 收費 {atlas} · 差額 {difference}",
    "admin.report_atlas_partial": "帳本 {ledger} · Atlas 目前 {atlas}（Atlas 仍在結算這一天）",
    "admin.report_atlas_unreadable": "無法讀取 Atlas 的費用：{reason}",
    "chart.title.member": "你每天的影片花費",
    "chart.title.server": "本伺服器每天的影片花費",
    "chart.axis": "美元",
    "chart.spent": "已花費",
    "chart.today": "今天",
    "chart.pace": "平均速度",
    # 延續影片（#17）：延長、編輯、提升畫質、首尾畫面、提示詞助手。先是拒絕訊息：沒有預扣或收費。
    "refused.no_last_frame_model": "這個伺服器沒有能以指定圖片結束影片的模型。"
    "請不要填寫最後畫面和循環。",
    "refused.no_last_frame": "{model} 無法以指定的圖片結束影片。請選擇可以的模型（{models}），"
    "或不要填寫最後畫面和循環。",
    "refused.needs_last_frame": "{model} 需要第一張和最後一張圖片才能製作影片：請提供最後畫面，"
    "或選擇循環以第一張圖片結束。",
    "refused.loop_and_last_image": "最後畫面和循環只能擇一：循環會以第一張圖片結束。",
    "refused.bad_loop": "循環只有一個選項：請從清單選擇「是：以第一張圖片結束」。",
    "refused.no_video": "請附加要編輯的影片（MP4、MOV 或 WebM）。",
    "refused.video_empty": "`{filename}` 是空的（0 位元組）。請重新附加影片。",
    "refused.video_type": "`{filename}` 不是 MP4、MOV 或 WebM 影片。請附加這些格式之一。",
    "refused.video_too_big": "`{filename}` 超過 {max_mb} MB，這是可接受的上限。"
    "請附加較短或較小的影片。",
    "refused.video_host": "`{filename}` 不是存放在 Discord 上的檔案。請直接把影片附加在指令中。",
    "refused.video_too_long": "`{filename}` 長 {length} 秒；{model} 只接受最長 {max} 秒"
    "（且不超過 {max_mb} MB）的影片。請剪短後再試一次。",
    "refused.video_too_short": "`{filename}` 長 {length} 秒；{model} 只接受至少 {min} 秒的影片。",
    "refused.extend_too_long": "這部影片長 {length} 秒：再延長 {added} 秒會超過 {model} "
    "最長的 {max} 秒。最多只能再延長 {room} 秒。",
    "refused.video_download": "無法從 Discord 下載 `{filename}`。請稍後再試。",
    "refused.video_unreadable": "無法把 `{filename}` 讀取為影片。請附加 MP4、MOV 或 WebM 影片。",
    "refused.video_upload_failed": "Atlas Cloud 暫時無法接收這部影片。"
    "沒有預扣任何費用，請稍後再試。",
    "refused.video_gone": "這部影片已不在 Discord 上它的訊息中，所以無法在這裡使用。",
    "refused.atlas_schema": "Atlas Cloud 會拒絕這個 {model} 的請求（{detail}），"
    "所以沒有預扣任何費用。"
    "請管理員執行 `atlas-video-bot check`。",
    "refused.helper_off": "這個伺服器已關閉提示詞助手。",
    "refused.helper_unavailable": "提示詞助手無法使用：機器人沒有設定聊天模型。",
    "refused.helper_uncertain": "無法確認 Atlas 是否已回覆，因此最高可能費用會保持預扣，"
    "直到管理員確認。請稍後再試。",
    "refused.helper_failed": "Atlas 無法改善這個提示詞（{detail}）。沒有收取任何費用。",
    "refused.helper_empty": "提示詞助手的回覆是空的（其用量已收費）。請再試一次。",
    "refused.helper_budget": "改善這個提示詞最多需要預扣 {needed}（最大用量），但你到 {resets} "
    "前只剩 {remaining}。沒有預扣任何費用。",
    "refused.helper_budget_shared": "改善這個提示詞最多需要預扣 {needed}，但這筆費用所屬的額度到 "
    "{resets} 前只剩 {remaining}。",
    "refused.helper_busy": "你排隊中或製作中的影片已達上限：請等其中一部完成後再改善提示詞。",
    # 按鈕與表單。
    "button.extend": "延長",
    "button.vedit": "編輯影片",
    "button.upscale": "提升畫質",
    "button.improve": "改善提示詞",
    "button.help_use": "使用",
    "button.help_edit": "編輯",
    "button.help_dismiss": "關閉",
    "carry.not_delivered": "只有已完成的影片可以延長、編輯或提升畫質。",
    "carry.unavailable": "這個伺服器沒有可用於此功能的模型。",
    "carry.bad_seconds": "請輸入要延長的秒數，可選：{choices}。",
    "extend.title": "延長這部影片",
    "extend.prompt_label": "接下來發生什麼事？",
    "extend.seconds_label": "要延長的秒數（{min}–{max}）",
    "extend.seconds_hint": "每延長一秒 {price}：{example} 秒需 {total}",
    "vedit.title": "編輯這部影片",
    "vedit.label": "要改變什麼？",
    "upscale.choose": "用 {model} 把這部影片提升到：",
    "upscale.placeholder": "選擇解析度",
    "price.per_second": "每秒 {amount}",
    "price.per_block": "每 {seconds} 秒 {amount}",
    "price.about": "{rule}：這部影片約 {total}",
    # 由其他影片製作的工作訊息。
    "job.field.kind": "製作方式",
    "kind.text-to-video": "文字轉影片",
    "kind.image-to-video": "圖片轉影片",
    "kind.start-end-frame": "首尾畫面",
    "kind.video-extend": "延長影片",
    "kind.video-edit": "編輯影片",
    "kind.upscale": "提升影片畫質",
    "kind.llm": "提示詞助手",
    "job.extend_length": "+{added} 秒（接在 {length} 秒的影片後）",
    "job.field.last_frame": "結束畫面",
    "job.last_frame.image": "指定的最後一張圖片",
    "job.last_frame.loop": "第一張圖片（循環）",
    "copy.last_image": "把同一張圖片附加到最後畫面選項。",
    # 提示詞助手。
    "helper.title": "改善後的提示詞",
    "helper.field.cost": "費用",
    "helper.cost": "{charged}，用量 {prompt_tokens} + {completion_tokens} 個 token"
    "（最多預扣 {held}）",
    "helper.gone": "這個改善後的提示詞已無法使用。",
    "settings.field.prompt_helper": "提示詞助手",
    "settings.helper_on": "開啟：成員可以改善提示詞（依 token 用量收費）",
    "settings.helper_off": "關閉",
}

# -- the slash commands, keyed by the English text the extensions declare ----------------------

_ZH_TW_NAMES = {
    # Commands and groups.
    "video": "影片",
    "animate": "圖片轉影片",
    "budget": "額度",
    "budget-admin": "額度管理",
    "set-user": "設定成員上限",
    "set-role": "設定身分組上限",
    "set-server-cap": "設定伺服器上限",
    "grant": "給予額度",
    "report": "報表",
    "export": "匯出帳本",
    "resolve": "結算",
    "forget": "遺忘成員",
    "settings": "設定",
    "show": "查看",
    "defaults": "預設值",
    "model-access": "模型權限",
    "resolution-access": "解析度權限",
    "channel": "頻道",
    "approval": "核准",
    "queue": "佇列",
    "history": "紀錄",
    # Options.
    "prompt": "提示詞",
    "duration": "長度",
    "aspect_ratio": "長寬比",
    "resolution": "解析度",
    "seed": "種子",
    "model": "模型",
    "count": "部數",
    "batch": "批次",
    "max_count": "最多部數",
    "image": "圖片",
    **{f"image{n}": f"圖片{n}" for n in range(2, 8)},
    "member": "成員",
    "amount": "金額",
    "role": "身分組",
    "reason": "原因",
    "since": "開始日期",
    "until": "結束日期",
    "job": "工作",
    "outcome": "結果",
    "video_model": "影片模型",
    "animate_model": "圖片轉影片模型",
    "reset": "重設",
    "allowed": "允許",
    "threshold": "門檻",
    "timeout_minutes": "等候分鐘數",
    "delivery": "發布位置",
    "mode": "方式",
    "gallery": "作品頻道",
    # Safety (#11).
    "prompt-rules": "提示詞規則",
    "add": "新增",
    "remove": "移除",
    "safety": "安全",
    "unpause": "解除暫停",
    "label": "標籤",
    "words": "字詞",
    "regex": "正規表示式",
    "nsfw_only": "僅限限制級頻道",
    "log_channel": "紀錄頻道",
    "stop_logging": "停止記錄",
    "rejection_limit": "拒絕次數上限",
    "flagged_videos": "被標記的影片",
    # /prefer.
    "prefer": "偏好",
    "set": "設定",
    "dm": "私訊",
    "preference": "項目",
    # Budget alerts (#18).
    "alerts": "額度提醒",
    "members": "提醒成員",
    "server_cap": "提醒伺服器上限",
    # Carrying a video further (#17).
    "edit-video": "編輯影片",
    "last_image": "最後畫面",
    "loop": "循環",
    "prompt-helper": "提示詞助手",
    "enabled": "啟用",
}

_ZH_TW_DESCRIPTIONS = {
    # Carrying a video further (#17).
    "Change a video of yours as a prompt says.": "依提示詞修改你自己的影片。",
    "Your video (MP4, MOV or WebM)": "你的影片（MP4、MOV 或 WebM）",
    "What should change, e.g. make it night": "要改變什麼，例如：變成夜晚",
    "Which edit model to use": "要使用的編輯模型",
    "The image the video ends on (models that take one)": "影片結束時的畫面（僅限支援的模型）",
    "End on the first image: a loop (models that take a last image)": (
        "以第一張圖片結束，形成循環（僅限支援最後畫面的模型）"
    ),
    "Turn Improve prompt on or off (charged to members' budgets by tokens).": (
        "開啟或關閉「改善提示詞」（依 token 用量從成員額度扣款）。"
    ),
    "May members have their prompts improved (paid from their budget)?": (
        "成員可以改善提示詞嗎（從他們的額度付費）？"
    ),
    # /settings alerts (#18).
    "Budget alerts: members privately, the log channel for the server cap.": (
        "額度提醒：私下提醒成員，並在紀錄頻道提醒伺服器上限。"
    ),
    "Tell members privately when they pass each threshold of their limit": (
        "成員的花費超過各個提醒門檻時私下通知他們"
    ),
    "Tell the log channel when the server passes each threshold of its cap": (
        "伺服器的花費超過上限的各個提醒門檻時通知紀錄頻道"
    ),
    # /video and /animate.
    "Make a short video from a text prompt.": "用文字提示詞製作一段短影片。",
    "Turn 1-7 images and a prompt into a video.": "把 1 到 7 張圖片和提示詞變成影片。",
    "What should happen in the video?": "影片裡要發生什麼事？",
    "Length in seconds": "影片長度（秒）",
    "Shape of the video": "影片的長寬比",
    "Picture size": "畫面大小",
    "Same seed + same prompt = a similar video (random if left out)": (
        "相同種子 + 相同提示詞 = 相似的影片（不填則隨機）"
    ),
    "Which video model to use": "要使用的影片模型",
    "How many videos, each with its own seed (1-4)": "要製作幾部影片，每部使用不同的種子（1 到 4）",
    "How many videos one /video or /animate may make at once.": (
        "一次「影片」或「圖片轉影片」指令最多可以製作幾部影片。"
    ),
    "From 1 to 4 (4 when left out)": "1 到 4（不填則為 4）",
    "The first image (PNG, JPEG or WebP, at least 128x128, up to 20 MB)": (
        "第一張圖片（PNG、JPEG 或 WebP，至少 128x128，最大 20 MB）"
    ),
    "Another image": "另一張圖片",
    # /budget and /budget-admin.
    "See what you have spent and have left.": "查看你已使用和剩餘的影片額度。",
    "Set video budgets and see what the server spends.": "設定影片額度，查看伺服器的花費。",
    "Set one member's limit per period.": "設定單一成員每期的上限。",
    "Who": "對象",
    'USD per period, e.g. 2.50, or "default"': '每期的美元金額，例如 2.50；輸入 "default" 恢復預設',
    'USD per period, e.g. 10, or "default"': '每期的美元金額，例如 10；輸入 "default" 恢復預設',
    'USD per period, e.g. 100, or "default"': '每期的美元金額，例如 100；輸入 "default" 恢復預設',
    "Set the limit for members with a role.": "設定具有某個身分組的成員上限。",
    "Which role": "哪個身分組",
    "Set the whole server's ceiling.": "設定整個伺服器的花費上限。",
    "Give a member one-off extra credit.": "給成員一次性的額外額度。",
    "USD, e.g. 1.00": "美元金額，例如 1.00",
    "Why (kept in the ledger)": "原因（會記錄在帳本中）",
    "Totals and top spenders this period.": "本期總計與花費最多的成員。",
    "Download the ledger as CSV.": "下載 CSV 格式的帳本。",
    "First day, YYYY-MM-DD (default: 30 days ago)": "第一天，YYYY-MM-DD（預設：30 天前）",
    "Day after the last, YYYY-MM-DD (default: now)": "最後一天的隔天，YYYY-MM-DD（預設：現在）",
    "Settle a job whose submit is uncertain.": "結算送出結果不明的工作。",
    "The job id (from the report or the job message's footer)": "工作編號（見報表或工作訊息底部）",
    "What Atlas's console shows for it": "Atlas 主控台上顯示的結果",
    "Erase a member's prompts and history on this server.": "清除成員在這個伺服器的提示詞與紀錄。",
    "Who (they may have left the server)": "對象（可以是已離開伺服器的人）",
    # /settings.
    "See and change this server's video settings.": "查看並變更這個伺服器的影片設定。",
    "Show every setting of this server.": "顯示這個伺服器的所有設定。",
    "Set the defaults members get when they leave an option out.": (
        "設定成員未填選項時使用的預設值。"
    ),
    "Default model for /video": "「影片」指令的預設模型",
    "Default model for /animate": "「圖片轉影片」指令的預設模型",
    "Default length in seconds": "預設長度（秒）",
    "Default picture size": "預設畫面大小",
    "Default shape of the video": "預設長寬比",
    "First put every default back to the bot's own": "先把所有預設值恢復為機器人的設定",
    "Allow or forbid a model on this server.": "允許或禁止在這個伺服器使用某個模型。",
    "Which model": "哪個模型",
    "May members use it?": "成員可以使用嗎？",
    "Allow or forbid a resolution (e.g. 4k) on this server.": (
        "允許或禁止在這個伺服器使用某個解析度（例如 4k）。"
    ),
    "Which resolution": "哪個解析度",
    "Allow videos in a channel, or stop allowing them there.": "允許或停止在某個頻道製作影片。",
    "A text channel": "文字頻道",
    "Make videos here? (none listed: every channel)": (
        "可以在這裡製作影片嗎？（未列出任何頻道時：所有頻道皆可）"
    ),
    "Make expensive videos wait for an admin's approval.": "讓昂貴的影片先等管理員核准。",
    'USD: videos quoted above it wait for an admin, or "off"': (
        '美元金額：報價超過此金額的影片需等管理員核准；輸入 "off" 關閉'
    ),
    "How long a video waits for an answer (default 10)": "影片等候回覆的分鐘數（預設 10）",
    "Choose where finished videos are posted.": "選擇完成的影片要發布在哪裡。",
    "Where finished videos go": "完成的影片要發布在哪裡",
    "The gallery channel (for the gallery mode)": "作品頻道（用於作品頻道方式）",
    "Only for videos made in this channel (leave out: the whole server)": (
        "只套用到在這個頻道製作的影片（不填：整個伺服器）"
    ),
    # /queue and /history.
    "Videos waiting and running on this server.": "這個伺服器中等候和製作中的影片。",
    "Your recent videos, with links to each.": "你最近的影片，附上每部影片的連結。",
    "Whose videos (admins only)": "誰的影片（僅限管理員）",
    # /settings prompt-rules, safety and unpause (#11).
    "Block prompts by words or patterns, before anything is held.": (
        "依字詞或規則封鎖提示詞，在預扣任何費用之前。"
    ),
    "Add a rule, or replace the one with its label.": "新增規則，或取代同標籤的規則。",
    "The name members see when a prompt is refused": "提示詞被拒絕時成員看到的名稱",
    "Blocked words or phrases, separated by commas": "要封鎖的字詞或片語，以逗號分隔",
    "Or one regular expression (checked case-insensitively)": "或一個正規表示式（不分大小寫）",
    "Remove a prompt rule.": "移除一條提示詞規則。",
    "The rule's label": "規則的標籤",
    "Age-restricted channels, the log channel, pauses and flagged videos.": (
        "限制級頻道、紀錄頻道、暫停與被標記的影片。"
    ),
    "Make videos only in age-restricted channels?": "只在限制級頻道製作影片？",
    "Where moderation events are written, one line each": "記錄審查事件的頻道，每個事件一行",
    "Stop writing moderation events": "停止記錄審查事件",
    "Rejections by Atlas's moderation in a day that pause a member (default 3)": (
        "一天內被 Atlas 內容審查拒絕幾次後暫停成員（預設 3）"
    ),
    "What happens to a video Atlas flags as sensitive": "Atlas 標記為敏感內容的影片如何處理",
    "Let a paused member make videos again.": "讓被暫停的成員可以再次製作影片。",
    "The member whose video access was paused": "影片權限被暫停的成員",
    # /prefer.
    "Your own defaults for /video and /animate on this server.": (
        "你自己在這個伺服器使用 /影片 和 /圖片轉影片 的預設值。"
    ),
    "Show your defaults on this server.": "顯示你在這個伺服器的預設值。",
    "Set your defaults: used when you leave an option out.": (
        "設定你的預設值：在你沒有填寫選項時使用。"
    ),
    "Your model for /video": "你用於 /影片 的模型",
    "Your model for /animate": "你用於 /圖片轉影片 的模型",
    "Your length in seconds": "你的影片長度（秒）",
    "Your picture size": "你的畫面大小",
    "Your shape of the video": "你的影片長寬比",
    "Get your finished videos by direct message?": "以私人訊息收到完成的影片？",
    "Go back to the server's defaults.": "恢復為伺服器的預設值。",
    "Which one (leave out: all of them)": "哪一項（不填：全部）",
}

COMMANDS = CommandTable(
    names=_ZH_TW_NAMES,
    descriptions=_ZH_TW_DESCRIPTIONS,
    choices={
        "Atlas billed it: charge": "Atlas 已收費：向成員收費",
        "Atlas did not run it: release": "Atlas 未執行：釋放額度",
        "In the channel": "在原頻道",
        "In a thread per video": "每部影片一個討論串",
        "In the gallery channel": "在作品頻道",
        "By direct message": "以私人訊息傳送",
        "As the server's default": "依照伺服器的預設",
        "Show it behind a spoiler": "以暴雷遮罩顯示",
        "Hold it for a moderator's review": "保留給版主審核",
        "Everything": "全部",
        "Model for /video": "/影片 的模型",
        "Model for /animate": "/圖片轉影片 的模型",
        "Length": "長度",
        "Resolution": "解析度",
        "Aspect ratio": "長寬比",
        "Delivery by direct message": "以私人訊息傳送",
        "Yes: end on the first image": "是：以第一張圖片結束",
    },
    choice_patterns=((re.compile(r"(\d+) s"), lambda m: f"{m[1]} 秒"),),
)

"""The Traditional Chinese (Taiwan) catalogue: every key of the English one, same placeholders.

Written as members in Taiwan read Discord: 影片, 額度, 伺服器, 身分組 (Discord's own word for
roles), full-width punctuation, a space between Chinese and Latin text or numbers. Amounts
arrive already formatted ("USD 1.00"); `{resets}` is a Discord timestamp that each client
renders in its own language ("3 天後"), so it reads as "（3 天後重設）".
"""

from __future__ import annotations

TRADITIONAL_CHINESE = "zh-TW"

ZH_TW: dict[str, str] = {
    # Refusals: nothing was held or charged.
    "refused.prompt_empty": "提示詞是空的。請描述你想要的影片，例如 "
    "`/影片 提示詞: 一隻在雪地裡奔跑的紅狐狸`。",
    "refused.prompt_too_long": "你的提示詞有 {length} 個字元，這個模型最多只接受 {limit} 個。"
    "請縮短後再試一次。",
    "refused.unknown_model": "這裡沒有名為 `{model}` 的模型。請從指令提供的清單中選擇。",
    "refused.wrong_model_kind": "{model} 不能用在這個指令。請從指令提供的清單中選擇模型。",
    "refused.invalid_option": "目前不提供這種選項組合：{detail}。",
    "refused.bad_seed": "種子必須是 0 到 {max} 之間的整數。",
    "refused.no_images": "請至少附加一張圖片（PNG、JPEG 或 WebP）來製作影片。",
    "refused.too_many_images": "{model} 最多只接受 {max} 張圖片。請移除一些後再試一次。",
    "refused.image_type": "`{filename}` 不是 PNG、JPEG 或 WebP 圖片。請附加這幾種格式的圖片。",
    "refused.image_too_big": "`{filename}` 超過 {max_mb} MB。請附加較小的圖片。",
    "refused.image_too_small": "`{filename}` 太小了：圖片至少需要 {min_px}x{min_px} 像素。",
    "refused.image_host": "`{filename}` 不是存放在 Discord 上的檔案。請直接把圖片附加在指令中。",
    "refused.budget.user": "這部影片需要 {needed}，但你目前只剩 {remaining}（{resets}重設）。"
    "請改用較短或解析度較低的影片，或請管理員提高額度。",
    "refused.budget.role": "這部影片需要 {needed}，但你目前只剩 {remaining}（{resets}重設）。"
    "請改用較短或解析度較低的影片，或請管理員提高額度。",
    "refused.budget.guild": "這個伺服器的影片額度已經用完：只剩 {remaining}（{resets}重設），"
    "而這部影片需要 {needed}。管理員可以提高伺服器上限。",
    "refused.budget.not_allowed": "你在這個伺服器上無法使用影片生成。"
    "如果你認為應該可以，請詢問管理員。",
    "refused.budget.user_concurrency": "你同時進行中的影片已達上限。請等其中一部完成後再試一次。",
    "refused.budget.guild_concurrency": "這個伺服器同時進行中的影片已達上限。請過一分鐘再試一次。",
    "refused.guild_only": "影片只能在伺服器中製作，無法在私人訊息中使用。",
    "refused.shutting_down": "機器人正在重新啟動。請過一分鐘再試一次。",
    "error.unexpected": "我們這邊出了點問題（任務 {job_id}）。沒有收取任何費用。"
    "請再試一次；如果一直發生，請告訴管理員。",
    "error.not_admin": "只有具備「管理伺服器」權限的成員才能執行這項操作。",
    # The job's message.
    "job.title": "影片",
    "job.title_simulated": "影片（模擬：不會計費）",
    "job.field.model": "模型",
    "job.field.duration": "長度",
    "job.field.resolution": "解析度",
    "job.field.seed": "種子",
    "job.field.images": "圖片",
    "job.field.cost": "費用",
    "job.field.status": "狀態",
    "job.field.left": "剩餘額度",
    "job.quoted": "{amount}（報價）",
    "job.charged": "已收取 {amount}",
    "job.left": "{remaining}（{resets}重設）",
    "status.queued": "排隊中",
    "status.queued_position": "排隊中：第 {position} 位",
    "status.uploading": "正在上傳你的圖片",
    "status.submitted": "已送交 Atlas Cloud",
    "status.generating": "生成中：已經過 {elapsed}",
    "status.downloading": "正在下載影片",
    "status.delivered": "完成，耗時 {elapsed}",
    "status.failed": "失敗：沒有收取任何費用",
    "status.cancelled": "已取消：沒有收取任何費用",
    "status.uncertain": "我們無法確認 Atlas 是否已開始製作這部影片。這筆金額會先保留，"
    "直到管理員確認為止；只有在影片確實生成時才會收費。",
    "job.too_big": "影片太大，無法直接附加在這裡：[下載影片]({url})。"
    "Atlas 只會保留一段時間，請盡快儲存。",
    "job.no_output": "Atlas 已完成任務，但沒有傳回影片檔案。",
    "failure.content_rejected": "Atlas 的內容審查拒絕了這個請求。請換個提示詞或圖片再試試。",
    "failure.atlas_unavailable": "Atlas Cloud 目前沒有回應。請過幾分鐘再試一次。",
    "failure.atlas_busy": "Atlas Cloud 目前忙碌中（已達速率限制）。請過一分鐘再試一次。",
    "failure.atlas_key_rejected": "Atlas Cloud 拒絕了機器人的 API 金鑰。"
    "需要由管理員檢查 ATLASCLOUD_API_KEY。",
    "failure.atlas_no_balance": "伺服器擁有者的 Atlas Cloud 帳戶餘額不足。需要由管理員儲值。",
    "failure.atlas_refused": "Atlas Cloud 拒絕了這個請求：{detail}",
    "failure.image_unusable": "有一張圖片無法使用：{detail}",
    "failure.timed_out": "Atlas 沒有在時限內完成這部影片。",
    "failure.hold_expired": "這個任務等候太久仍未開始。請按「重新生成」再試一次。",
    "failure.restarted": "機器人在這部影片開始製作前重新啟動了。請按「重新生成」再試一次。",
    "failure.generation_failed": "Atlas 無法生成這部影片。",
    "failure.internal": "我們這邊出了點問題。",
    "button.reroll": "重新生成",
    "button.cancel": "取消",
    "cancel.done": "已取消。預扣的金額已經釋出，沒有收取任何費用。",
    "cancel.not_yours": "只有提出這部影片的成員才能取消。",
    "cancel.too_late": "來不及取消了：影片已經在生成中。",
    "cancel.unknown": "機器人已經找不到這個任務。",
    "reroll.unknown": "已經找不到原本的任務，所以無法重新生成。",
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
    "admin.resolved_charge": "工作 `{job}` 已收費。",
    "admin.resolved_release": "工作 `{job}` 已釋放額度，不收費。",
    "admin.resolve_unknown": "`{job}` 不是本伺服器結果不明的工作。",
    "admin.export_done": "帳本匯出：{since} 至 {until}。",
    # Words filled into other messages as `{period}`: "每月", "本週".
    "period.day": "日",
    "period.week": "週",
    "period.month": "月",
}

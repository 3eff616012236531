"""The key-account game in a team group: lobby, buttons, the trainer's clock commands, the end."""

from __future__ import annotations

GAME: dict[str, dict[str, str]] = {
    "game_private_only": {
        "zh-CN": "大客户维护游戏在团队群里进行：把我拉进群，由培训师在群里发 /game。",
        "zh-TW": "大客戶維護遊戲在團隊群組裡進行：把我拉進群組，由培訓師在群組裡發 /game。",
        "en": "The key-account game is played in a team group: add me to the group, and a trainer sends /game there.",
    },
    "game_trainer_only": {
        "zh-CN": "只有培训师（或群管理员）可以开游戏。",
        "zh-TW": "只有培訓師（或群組管理員）可以開遊戲。",
        "en": "Only a trainer (or a group admin) can open a game.",
    },
    "game_no_scene": {
        "zh-CN": "没有这个场景：{scene}。可选：\n{listing}\n用法：/game 场景id",
        "zh-TW": "沒有這個場景：{scene}。可選：\n{listing}\n用法：/game 場景id",
        "en": "No such scene: {scene}. Available:\n{listing}\nUsage: /game SCENE_ID",
    },
    "game_already": {
        "zh-CN": "这个群里已经有一局游戏还没结束。培训师可以 /endgame 结束它。",
        "zh-TW": "這個群組裡已經有一局遊戲還沒結束。培訓師可以 /endgame 結束它。",
        "en": "This group already has a game that has not ended. A trainer can end it with /endgame.",
    },
    "game_lobby_title": {
        "zh-CN": "🎲 大客户维护游戏 ·《{title}》",
        "zh-TW": "🎲 大客戶維護遊戲 ·《{title}》",
        "en": "🎲 Key-account game · “{title}”",
    },
    "game_lobby_rules": {
        "zh-CN": "A 组扮演供应商，B 组扮演大客户；每组最多 {size} 人，{minutes:g} 分钟，结束后 B 组投票、复盘。",
        "zh-TW": "A 組扮演供應商，B 組扮演大客戶；每組最多 {size} 人，{minutes:g} 分鐘，結束後 B 組投票、復盤。",
        "en": "Team A plays the supplier, team B the key account; up to {size} per team, {minutes:g} minutes, then team B votes and we debrief.",
    },
    "game_lobby_briefs": {
        "zh-CN": "角色说明会私聊发给每位玩家。",
        "zh-TW": "角色說明會私訊發給每位玩家。",
        "en": "Each player gets a role brief in a private message.",
    },
    "game_team_line": {
        "zh-CN": "{team} {n}/{size}：{names}",
        "zh-TW": "{team} {n}/{size}：{names}",
        "en": "{team} {n}/{size}: {names}",
    },
    "game_nobody": {
        "zh-CN": "（暂无）",
        "zh-TW": "（暫無）",
        "en": "(nobody yet)",
    },
    "game_team_A": {
        "zh-CN": "A 组（供应商）",
        "zh-TW": "A 組（供應商）",
        "en": "Team A (supplier)",
    },
    "game_team_B": {
        "zh-CN": "B 组（大客户）",
        "zh-TW": "B 組（大客戶）",
        "en": "Team B (key account)",
    },
    "game_btn_join": {
        "zh-CN": "加入 {team} {n}/{size}",
        "zh-TW": "加入 {team} {n}/{size}",
        "en": "Join {team} {n}/{size}",
    },
    "game_btn_leave": {
        "zh-CN": "退出",
        "zh-TW": "退出",
        "en": "Leave",
    },
    "game_btn_start": {
        "zh-CN": "▶ 开始（培训师）",
        "zh-TW": "▶ 開始（培訓師）",
        "en": "▶ Start (trainer)",
    },
    "game_btn_brief": {
        "zh-CN": "📩 先私聊我，领取角色说明",
        "zh-TW": "📩 先私訊我，領取角色說明",
        "en": "📩 Message me first to get your brief",
    },
    "game_stale": {
        "zh-CN": "这个按钮已失效。",
        "zh-TW": "這個按鈕已失效。",
        "en": "This button has expired.",
    },
    "game_vote_not_b": {
        "zh-CN": "只有 B 组（大客户）投票。",
        "zh-TW": "只有 B 組（大客戶）投票。",
        "en": "Only team B (the key account) votes.",
    },
    "game_vote_closed": {
        "zh-CN": "投票已经结束。",
        "zh-TW": "投票已經結束。",
        "en": "The vote is closed.",
    },
    "game_other_group": {
        "zh-CN": "这个按钮只在开这局游戏的群里有效。",
        "zh-TW": "這個按鈕只在開這局遊戲的群組裡有效。",
        "en": "This button only works in the group where the game was opened.",
    },
    "game_started_no_switch": {
        "zh-CN": "游戏已经开始，不能再换组了。",
        "zh-TW": "遊戲已經開始，不能再換組了。",
        "en": "The game has started; teams can no longer change.",
    },
    "game_left": {
        "zh-CN": "已退出。",
        "zh-TW": "已退出。",
        "en": "You left the game.",
    },
    "game_not_in": {
        "zh-CN": "你不在这局游戏里。",
        "zh-TW": "你不在這局遊戲裡。",
        "en": "You are not in this game.",
    },
    "game_start_trainer_only": {
        "zh-CN": "只有培训师可以开始游戏。",
        "zh-TW": "只有培訓師可以開始遊戲。",
        "en": "Only a trainer can start the game.",
    },
    "game_need_teams": {
        "zh-CN": "两组都至少要有一人才能开始。",
        "zh-TW": "兩組都至少要有一人才能開始。",
        "en": "Each team needs at least one player to start.",
    },
    "game_already_started": {
        "zh-CN": "游戏已经开始了。",
        "zh-TW": "遊戲已經開始了。",
        "en": "The game has already started.",
    },
    "game_go": {
        "zh-CN": "开始！",
        "zh-TW": "開始！",
        "en": "Go!",
    },
    "game_vote_not_yet": {
        "zh-CN": "投票还没开始：时间到了，B 组才投票。",
        "zh-TW": "投票還沒開始：時間到了，B 組才投票。",
        "en": "Voting has not started: team B votes when time is up.",
    },
    "game_vote_recorded": {
        "zh-CN": "已记录你的投票。",
        "zh-TW": "已記錄你的投票。",
        "en": "Your vote is recorded.",
    },
    "game_team_full": {
        "zh-CN": "{team}已满。",
        "zh-TW": "{team}已滿。",
        "en": "{team} is full.",
    },
    "game_joined": {
        "zh-CN": "你在 {team}。",
        "zh-TW": "你在 {team}。",
        "en": "You are in {team}.",
    },
    "game_joined_unreachable": {
        "zh-CN": "\n请先点“先私聊我”按钮并发 /start，角色说明会私聊发给你。",
        "zh-TW": "\n請先點「先私訊我」按鈕並發 /start，角色說明會私訊發給你。",
        "en": "\nTap “Message me first” and send /start, so that I can send you your brief.",
    },
    "game_begin": {
        "zh-CN": "🎬 游戏开始！{minutes:g} 分钟。角色说明已经私聊发给大家，请各自查看。\nA 组（供应商）和 B 组（大客户）在群里直接对话，我只负责计时和记录。",
        "zh-TW": "🎬 遊戲開始！{minutes:g} 分鐘。角色說明已經私訊發給大家，請各自檢視。\nA 組（供應商）和 B 組（大客戶）在群組裡直接對話，我只負責計時和記錄。",
        "en": "🎬 The game is on! {minutes:g} minutes. Everyone has their brief in a private message.\nTeam A (supplier) and team B (key account) talk here in the group; I only keep time and take notes.",
    },
    "game_missing_briefs": {
        "zh-CN": "\n\n⚠️ 这些玩家还没私聊过我，收不到角色说明：{names}。请点下面的按钮，发 /start 领取。",
        "zh-TW": "\n\n⚠️ 這些玩家還沒私訊過我，收不到角色說明：{names}。請點下面的按鈕，發 /start 領取。",
        "en": "\n\n⚠️ These players have never messaged me, so they cannot get their brief: {names}. Tap the button below and send /start to get it.",
    },
    "game_btn_get_brief": {
        "zh-CN": "📩 领取角色说明",
        "zh-TW": "📩 領取角色說明",
        "en": "📩 Get your brief",
    },
    "game_cmd_in_group": {
        "zh-CN": "这个命令在游戏所在的群里用。",
        "zh-TW": "這個命令在遊戲所在的群組裡用。",
        "en": "Use this command in the game's group.",
    },
    "game_cmd_trainer_only": {
        "zh-CN": "只有培训师可以控制游戏。",
        "zh-TW": "只有培訓師可以控制遊戲。",
        "en": "Only a trainer can control the game.",
    },
    "game_none_running": {
        "zh-CN": "这个群里没有进行中的游戏。培训师发 /game 开一局。",
        "zh-TW": "這個群組裡沒有進行中的遊戲。培訓師發 /game 開一局。",
        "en": "No game is running in this group. A trainer sends /game to open one.",
    },
    "game_cannot_pause": {
        "zh-CN": "游戏没有在进行，不能暂停。",
        "zh-TW": "遊戲沒有在進行，不能暫停。",
        "en": "The game is not running, so it cannot be paused.",
    },
    "game_paused": {
        "zh-CN": "⏸ 暂停。还剩 {left}。培训师发 /resume 继续。",
        "zh-TW": "⏸ 暫停。還剩 {left}。培訓師發 /resume 繼續。",
        "en": "⏸ Paused, {left} left. A trainer sends /resume to go on.",
    },
    "game_not_paused": {
        "zh-CN": "游戏没有暂停。",
        "zh-TW": "遊戲沒有暫停。",
        "en": "The game is not paused.",
    },
    "game_resumed": {
        "zh-CN": "▶ 继续！还剩 {left}。",
        "zh-TW": "▶ 繼續！還剩 {left}。",
        "en": "▶ On again! {left} left.",
    },
    "game_extend_usage": {
        "zh-CN": "用法：/extend 分钟数（1–120），例如 /extend 5",
        "zh-TW": "用法：/extend 分鐘數（1–120），例如 /extend 5",
        "en": "Usage: /extend MINUTES (1–120), e.g. /extend 5",
    },
    "game_cannot_extend": {
        "zh-CN": "游戏没有在进行，不能加时。",
        "zh-TW": "遊戲沒有在進行，不能加時。",
        "en": "The game is not running, so it cannot be extended.",
    },
    "game_extended": {
        "zh-CN": "⏩ 加时 {minutes:g} 分钟，还剩 {left}。",
        "zh-TW": "⏩ 加時 {minutes:g} 分鐘，還剩 {left}。",
        "en": "⏩ {minutes:g} more minutes, {left} left.",
    },
    "game_cancelled": {
        "zh-CN": "已取消这局游戏。",
        "zh-TW": "已取消這局遊戲。",
        "en": "The game is cancelled.",
    },
    "game_min_sec": {
        "zh-CN": "{m} 分 {s} 秒",
        "zh-TW": "{m} 分 {s} 秒",
        "en": "{m} min {s} s",
    },
    "game_min": {
        "zh-CN": "{m} 分钟",
        "zh-TW": "{m} 分鐘",
        "en": "{m} min",
    },
    "game_time_left": {
        "zh-CN": "⏰ 还剩 {left}。",
        "zh-TW": "⏰ 還剩 {left}。",
        "en": "⏰ {left} left.",
    },
    "game_default_vote_question": {
        "zh-CN": "明年还和 A 组续约吗？",
        "zh-TW": "明年還和 A 組續約嗎？",
        "en": "Will you renew with team A next year?",
    },
    "game_over_no_scene": {
        "zh-CN": "游戏结束。场景文件已下线，无法复盘。",
        "zh-TW": "遊戲結束。場景檔案已下線，無法復盤。",
        "en": "The game is over. Its scene file is no longer available, so there is no debrief.",
    },
    "game_brief_later": {
        "zh-CN": "好的，游戏开始时我会把你的角色说明发到这里。",
        "zh-TW": "好的，遊戲開始時我會把你的角色說明發到這裡。",
        "en": "OK: when the game starts, I will send your role brief here.",
    },
    "game_transcript": {
        "zh-CN": "完整记录：《{title}》",
        "zh-TW": "完整記錄：《{title}》",
        "en": "Full transcript: “{title}”",
    },
    "game_transcript_in_group": {
        "zh-CN": "完整记录：《{title}》（培训师还没私聊过我，发在群里）",
        "zh-TW": "完整記錄：《{title}》（培訓師還沒私訊過我，發在群組裡）",
        "en": "Full transcript: “{title}” (the trainer has never messaged me, so it is posted here)",
    },
}

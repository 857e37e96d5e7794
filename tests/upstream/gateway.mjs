// The upstream Wechaty gateway for pointsbot's test: wechaty-puppet-service's PuppetServer in front of
// wechaty-puppet-mock, plaintext (WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER=true).
//
//   node gateway.mjs PORT TOKEN
//
// Reads one JSON command per line on stdin and writes one JSON line per event on stdout:
//   {"op": "contact", "id": "wxid_wang", "name": "王桂荣"}
//   {"op": "room", "id": "r1@chatroom", "topic": "红帮带志愿者群", "members": ["wxid_wang"]}
//   {"op": "login"}                                   the mock bot account 积分助手 (wxid_bot) logs in
//   {"op": "say", "from": "wxid_wang", "room": "r1@chatroom", "text": "@积分助手\u2005签到", "mentions": ["wxid_bot"]}
//   {"op": "quit"}
// Events: {"event": "listening"}, {"event": "done", "op": …} after each command, and what the bot sends:
//   {"event": "sent", "conversation": …, "text": …, "mentions": […]}, {"event": "file", "conversation": …, "name": …}
import readline from 'node:readline'
import { PuppetServer } from 'wechaty-puppet-service'
import { PuppetMock, mock } from 'wechaty-puppet-mock'

const [port, token] = process.argv.slice(2)
const emit = (event) => process.stdout.write(JSON.stringify(event) + '\n')

const mocker = new mock.Mocker()
const puppet = new PuppetMock({ mocker })
// The mock drops mention ids and file contents: record what the bot asked for before passing it on.
const sendText = puppet.messageSendText.bind(puppet)
puppet.messageSendText = async (conversation, text, mentions) => {
  emit({ event: 'sent', conversation, text, mentions: mentions || [] })
  return sendText(conversation, text, mentions)
}
const sendFile = puppet.messageSendFile.bind(puppet)
puppet.messageSendFile = async (conversation, file) => {
  emit({ event: 'file', conversation, name: file.name, size: (await file.toBuffer()).length })
  return sendFile(conversation, file)
}

const server = new PuppetServer({ puppet, token, endpoint: `127.0.0.1:${port}` })
await server.start()
const bot = mocker.createContact({ id: 'wxid_bot', name: '积分助手' })
const contacts = new Map([[bot.id, bot]])
const rooms = new Map()
emit({ event: 'listening' })

for await (const line of readline.createInterface({ input: process.stdin })) {
  if (!line.trim()) continue
  const command = JSON.parse(line)
  switch (command.op) {
    case 'contact':
      contacts.set(command.id, mocker.createContact({ id: command.id, name: command.name }))
      break
    case 'room':
      rooms.set(command.id, mocker.createRoom({
        id: command.id, topic: command.topic, memberIdList: [bot.id, ...command.members],
      }))
      break
    case 'login':
      mocker.login(bot)
      break
    case 'say': {
      const mentions = (command.mentions || []).map((id) => contacts.get(id))
      const to = command.room ? rooms.get(command.room) : bot
      contacts.get(command.from).say(command.text, mentions).to(to)
      break
    }
    case 'quit':
      await server.stop()
      process.exit(0)
  }
  emit({ event: 'done', op: command.op })
}

// The chat page's client: plain JavaScript on the global `io` from /socket.io/socket.io.js.
// It implements the client side of the protocol (see the README): subscribe with the last
// { epoch, offset } of each channel after every (re)connection, render `message` events, and
// show `reset` / `closing` / recovery outcomes.
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { socket: null, user: '', channels: [], positions: new Map() };

  function status(text) {
    $('status').textContent = text;
  }

  function add(listId, text, notice = false) {
    const li = document.createElement('li');
    li.textContent = text; // never innerHTML: messages are user input
    if (notice) li.className = 'notice';
    const list = $(listId);
    list.appendChild(li);
    list.scrollTop = list.scrollHeight;
  }

  function listOf(channel) {
    return channel.startsWith('notifications.') ? 'notifications' : 'messages';
  }

  function render(pub) {
    const known = state.positions.get(pub.channel);
    if (known && known.epoch === pub.epoch && pub.offset <= known.offset) return; // already shown
    state.positions.set(pub.channel, { epoch: pub.epoch, offset: pub.offset });
    const data = pub.data ?? {};
    if (listOf(pub.channel) === 'notifications')
      add('notifications', String(data.text ?? JSON.stringify(data)));
    else add('messages', `${data.user ?? '?'}: ${data.text ?? JSON.stringify(data)}`);
  }

  async function token(user) {
    const res = await fetch(`/dev/token?user=${encodeURIComponent(user)}`);
    if (!res.ok) throw new Error(`token: HTTP ${res.status}`);
    return (await res.json()).token;
  }

  function subscribe(channel, attempt = 0) {
    const socket = state.socket;
    if (!socket?.connected) return;
    const position = state.positions.get(channel);
    socket.timeout(5000).emit('subscribe', { channel, ...position }, (err, ack) => {
      if (err || (!ack.ok && ack.error.code === 'WS_ERR_UNAVAILABLE')) {
        setTimeout(() => subscribe(channel, attempt + 1), Math.min(5000, 500 * 2 ** attempt));
        return;
      }
      if (!ack.ok) {
        add(listOf(channel), `cannot subscribe to ${channel}: ${ack.error.code}`, true);
        return;
      }
      if (position && ack.recovered && ack.publications.length > 0)
        add(listOf(channel), `recovered ${ack.publications.length} missed message(s)`, true);
      if (position && !ack.recovered)
        add(
          listOf(channel),
          `some messages could not be recovered (${ack.reason}); history restarts here`,
          true,
        );
      for (const pub of ack.publications) render(pub);
      const known = state.positions.get(channel);
      if (!known || known.epoch !== ack.epoch || known.offset < ack.offset)
        state.positions.set(channel, { epoch: ack.epoch, offset: ack.offset });
    });
  }

  function join(user, room) {
    if (state.socket) state.socket.disconnect();
    state.user = user;
    state.channels = [`chat.${room}`, `notifications.${user}`];
    state.positions.clear();
    $('messages').textContent = '';
    $('notifications').textContent = '';
    $('room-title').textContent = `Room ${room}`;
    // `auth` as a function fetches a fresh token for every (re)connection.
    const socket = io({
      auth: (cb) =>
        token(user).then(
          (t) => cb({ token: t }),
          () => cb({}),
        ),
    });
    state.socket = socket;
    socket.on('connect', () => {
      status(`connected as ${user} (${socket.io.engine.transport.name})`);
      for (const channel of state.channels) subscribe(channel);
      for (const id of ['text', 'send', 'notify']) $(id).disabled = false;
    });
    socket.io.engine?.on('upgrade', () =>
      status(`connected as ${user} (${socket.io.engine.transport.name})`),
    );
    socket.on('disconnect', (reason) => status(`disconnected (${reason}); reconnecting…`));
    socket.on('connect_error', (err) => status(`cannot connect: ${err.data?.code ?? err.message}`));
    socket.on('message', render);
    socket.on('reset', (event) => {
      state.positions.set(event.channel, { epoch: event.epoch, offset: event.offset });
      add(listOf(event.channel), `some messages were lost (${event.reason}); history restarts here`, true);
    });
    // WS_ERR_DRAINING: the instance is restarting or shutting down; Socket.IO reconnects (to
    // another instance) by itself and the subscribe above recovers what was missed meanwhile.
    socket.on('closing', (event) =>
      add(
        'messages',
        event.code === 'WS_ERR_DRAINING'
          ? 'server restarting: reconnecting…'
          : `server closed the connection: ${event.code}`,
        true,
      ),
    );
    socket.on('rejected', (event) => add('messages', `rejected ${event.event}: ${event.code}`, true));
  }

  $('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    join($('name').value.trim(), $('room').value.trim());
  });

  $('send-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('text').value.trim();
    if (!text || !state.socket) return;
    const channel = state.channels[0];
    state.socket.timeout(5000).emit('publish', { channel, data: { user: state.user, text } }, (err, ack) => {
      if (err) add('messages', 'not sent (timeout)', true);
      else if (!ack.ok) add('messages', `not sent: ${ack.error.code}`, true);
    });
    $('text').value = '';
  });

  $('notify-form').addEventListener('submit', (e) => {
    e.preventDefault();
    fetch(`/dev/notify?user=${encodeURIComponent(state.user)}`, {
      method: 'POST',
      body: `Hello ${state.user}, this is a notification (${new Date().toLocaleTimeString()})`,
    }).catch(() => add('notifications', 'could not send a notification', true));
  });
})();

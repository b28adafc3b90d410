/** A minimal page to watch and post to one room from a browser (speaks the wire protocol directly). */
export const WEB_UI_HTML = `<!doctype html><html><head><meta charset="utf-8"><title>deliverylab</title>
<style>body{font:14px system-ui;margin:2em;max-width:50em}#log{border:1px solid #ccc;height:24em;overflow:auto;padding:.5em;font-family:monospace}</style></head>
<body><h1>deliverylab</h1><p id="who">connecting…</p>
<label>room <input id="room" value="lobby"></label> <button id="join">join</button>
<div id="log"></div><form id="f"><input id="body" size="50" autocomplete="off"> <button>send</button></form>
<script>
const log=(t)=>{const d=document.createElement('div');d.textContent=t;document.getElementById('log').append(d);d.scrollIntoView()};
const user='web-'+Math.random().toString(36).slice(2,7);
const ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/ws?user='+user);
const cursor={};let room='lobby';
ws.onmessage=(e)=>{const f=JSON.parse(e.data);
 if(f.type==='welcome')document.getElementById('who').textContent='you are '+f.user+' on worker '+f.worker+' (pid '+f.pid+')';
 else if(f.type==='msg'){if(f.seq<=(cursor[f.room]||0))return;cursor[f.room]=f.seq;log('#'+f.seq+' '+f.sender+': '+f.body)}
 else if(f.type==='head'){if(f.seq>(cursor[f.room]||0))ws.send(JSON.stringify({type:'fetch',room:f.room,after:cursor[f.room]||0,limit:100}))}
 else if(f.type==='error')log('error '+f.code+': '+f.message)};
ws.onopen=()=>join();ws.onclose=()=>log('disconnected: reload to reconnect');
function join(){room=document.getElementById('room').value;ws.send(JSON.stringify({type:'join',room,after:cursor[room]||0}))}
document.getElementById('join').onclick=join;
document.getElementById('f').onsubmit=(e)=>{e.preventDefault();const b=document.getElementById('body');
 ws.send(JSON.stringify({type:'send',id:Date.now().toString(36)+Math.random().toString(36).slice(2,10),room,body:b.value}));b.value=''};
</script></body></html>`;

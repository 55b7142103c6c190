// Node's global `Buffer`, for the modules the browser bundle shares with the server.
export { Buffer } from 'buffer'

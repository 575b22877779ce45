/** The words for a gateway listener that cannot listen, shared by converge, applyRoutes and observe. */
import { RuntimeError } from '../../errors.js';
import type { ListenerError } from '../../gateway/table.js';
import { message, type Message, type ReasonCode } from '../../model/messages.js';

const WHY = new Map<string, ReasonCode>([
  ['EADDRINUSE', 'listener.inUse'],
  ['EACCES', 'listener.denied'],
  ['not listening', 'listener.notBound'],
]);

/** `the edge of shop/local cannot listen on 127.0.0.1:8080: another process uses that port (EADDRINUSE)`. */
export function listenerProblemMessage(what: Message, e: ListenerError): Message {
  const known = WHY.get(e.message);
  return message('listener.cannotListen', { what, port: e.port, why: known ? message(known) : e.message });
}

/** An observed edge's or address's `error` with its code. */
function problem(m: Message): { error: string; errorMessage: Message } {
  return { error: m.text, errorMessage: m };
}

/** Why the edge of `key` (`app/env`) does not listen, as an observation's `error` and `errorMessage`. */
export function edgeProblem(key: string, e: ListenerError): { error: string; errorMessage: Message } {
  return problem(listenerProblemMessage(message('listener.edgeOf', { key }), e));
}

/** Why the address of `service` does not listen, as an observation's `error` and `errorMessage`. */
export function addressProblem(service: string, e: ListenerError): { error: string; errorMessage: Message } {
  return problem(listenerProblemMessage(message('listener.addressOf', { service }), e));
}

/** The error of routes whose edge cannot listen (the release fails with its code). */
export function edgeCannotListen(key: string, e: ListenerError): RuntimeError {
  const m = listenerProblemMessage(message('listener.edgeOf', { key }), e);
  return Object.assign(new RuntimeError(m.text), { reasonMessage: m });
}

/** The error of a converge whose service address cannot listen: `orders: its address cannot listen on ...`. */
export function addressCannotListen(service: string, e: ListenerError): RuntimeError {
  const why = listenerProblemMessage(message('listener.itsAddress'), e);
  const m = message('release.rolloutFailed', { service, error: why });
  return Object.assign(new RuntimeError(m.text), { reasonMessage: m });
}

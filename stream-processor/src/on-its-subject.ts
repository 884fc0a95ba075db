import { type Envelope, packSubject, telemetrySubject } from "@lifeline/contracts";

/**
 * Whether an envelope came on the subject its route gives: its own (`tlm.<site>.<gateway>.<device>`),
 * or its site's pack subject when it came in a pack. The gateway only publishes it there; anything
 * else was published to the stream by someone else, and is neither stored nor evaluated.
 */
export function onItsSubject(envelope: Envelope, subject: string, packed: boolean): boolean {
  return (packed ? packSubject(envelope.site) : telemetrySubject(envelope)) === subject;
}

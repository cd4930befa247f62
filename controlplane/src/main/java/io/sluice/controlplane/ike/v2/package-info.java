/**
 * IKEv2 (RFC 7296) with NAT-T built in, liveness checks, cookies (2.6) and rekeying (2.8, 2.8.1).
 * <ul>
 *   <li>{@link io.sluice.controlplane.ike.v2.Ikev2Engine}: the protocol engine, a pure library driven by
 *   {@code receive}, {@code tick}, {@code initiate}, {@code idle}, {@code rekeyChild}, {@code rekeyIke} and
 *   {@code clear}; {@code show crypto ikev2 sa [detailed]}.</li>
 *   <li>{@link io.sluice.controlplane.ike.v2.Ikev2Settings}: proposals, peers (keys, identities, child policy),
 *   liveness, timers and limits, from the {@code crypto ikev2} configuration.</li>
 *   <li>{@link io.sluice.controlplane.ike.v2.Ikev2Header}, {@link io.sluice.controlplane.ike.v2.Payload},
 *   {@link io.sluice.controlplane.ike.v2.PayloadCodec}, {@link io.sluice.controlplane.ike.v2.TrafficSelector}:
 *   the wire format, parsed strictly.</li>
 *   <li>{@link io.sluice.controlplane.ike.v2.Ikev2Crypto}, {@link io.sluice.controlplane.ike.v2.IkeSuite},
 *   {@link io.sluice.controlplane.ike.v2.ChildSuite}: prf+, SKEYSEED, SK_ keys, KEYMAT, AUTH, the SK payload.</li>
 * </ul>
 */
package io.sluice.controlplane.ike.v2;

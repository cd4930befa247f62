/**
 * IKEv1 (ISAKMP, RFC 2408/2409) with NAT-T (RFC 3947) and DPD (RFC 3706).
 * <ul>
 *   <li>{@link io.sluice.controlplane.ike.v1.Ikev1Engine}: the protocol engine, a pure library driven by
 *   {@code receive}, {@code tick}, {@code initiate} and {@code idle}; main, aggressive, quick and
 *   informational exchanges, retransmission, DPD, {@code show crypto isakmp sa}.</li>
 *   <li>{@link io.sluice.controlplane.ike.v1.Ikev1Settings}: policies, keys, DPD timers and crypto map
 *   entries, from the parsed configuration.</li>
 *   <li>{@link io.sluice.controlplane.ike.v1.IsakmpHeader}, {@link io.sluice.controlplane.ike.v1.Payload},
 *   {@link io.sluice.controlplane.ike.v1.PayloadCodec}: the wire format, parsed strictly.</li>
 *   <li>{@link io.sluice.controlplane.ike.v1.Ikev1Crypto}, {@link io.sluice.controlplane.ike.v1.IkeCipher}:
 *   SKEYID and its children, IVs, HASH_I/HASH_R, quick mode hashes, KEYMAT, CBC.</li>
 *   <li>{@link io.sluice.controlplane.ike.v1.Phase1Transform}, {@link io.sluice.controlplane.ike.v1.EspProposal},
 *   {@link io.sluice.controlplane.ike.v1.Selector}: what is negotiated, to and from transforms and IDs.</li>
 * </ul>
 */
package io.sluice.controlplane.ike.v1;

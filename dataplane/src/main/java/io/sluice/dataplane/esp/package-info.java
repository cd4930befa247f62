/**
 * ESP (RFC 4303) for the dataplane: the core that the esp-encrypt and esp-decrypt graph nodes call.
 * <ul>
 *   <li>{@link io.sluice.dataplane.esp.SecurityAssociation}: one direction of an SA, built and
 *   checked on the control path; sequence numbers, anti-replay ({@link io.sluice.dataplane.esp.ReplayWindow},
 *   ESN per Appendix A), lifetimes and events ({@link io.sluice.dataplane.esp.EspEvents}), counters.</li>
 *   <li>{@link io.sluice.dataplane.esp.SecurityAssociationDatabase}: inbound SAs by SPI, outbound SA per
 *   tunnel, copy-on-write so workers read without locks; rekey is make-before-break.</li>
 *   <li>{@link io.sluice.dataplane.esp.EspCodec}: per worker, per packet, in the frame: tunnel and
 *   transport mode, UDP encapsulation (RFC 3948); returns an {@link io.sluice.dataplane.esp.EspStatus}.</li>
 *   <li>{@link io.sluice.dataplane.esp.CryptoEngine}, {@link io.sluice.dataplane.esp.EspTransform}: the
 *   cryptography behind the codec; {@link io.sluice.dataplane.esp.JceCryptoEngine} uses the JDK.</li>
 * </ul>
 */
package io.sluice.dataplane.esp;

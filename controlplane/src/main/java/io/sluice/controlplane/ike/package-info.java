/**
 * What the IKE engines share: Diffie-Hellman groups ({@link io.sluice.controlplane.ike.DiffieHellman}),
 * the PRF and hashes ({@link io.sluice.controlplane.ike.IkeHash}), NAT-D hashes
 * ({@link io.sluice.controlplane.ike.NatDetection}), the UDP sockets on 500 and 4500
 * ({@link io.sluice.controlplane.ike.IkeUdpTransport}), the log interface
 * ({@link io.sluice.controlplane.ike.IkeLog}) and the negotiated pair of ESP SAs handed to the
 * dataplane ({@link io.sluice.controlplane.ike.ChildSa}).
 */
package io.sluice.controlplane.ike;

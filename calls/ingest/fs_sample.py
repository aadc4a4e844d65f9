"""CDRs shaped exactly as FreeSWITCH's mod_json_cdr writes them (src/switch_ivr.c,
`switch_ivr_generate_json_cdr`), for the tests, the benchmark and trying the endpoint by
hand. A realistic A leg with its variables is about 5 KB."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

CORE_UUID = "4f9a55b6-0f36-4a3c-a6c1-8d1b0c1d2e3f"
# What mod_sofia's and the core's own variables look like on a typical bridged call.
_FILLER = {
    "direction": "inbound", "is_outbound": "false", "call_uuid": None,
    "session_id": "12", "sip_from_user": None, "sip_from_uri": None,
    "sip_from_host": "pbx.example.com", "video_media_flow": "disabled",
    "audio_media_flow": "sendrecv", "channel_name": None, "sip_call_id": None,
    "sip_local_network_addr": "198.51.100.10", "sip_network_ip": "203.0.113.7",
    "sip_network_port": "5060", "sip_invite_stamp": None, "sip_received_ip": "203.0.113.7",
    "sip_received_port": "5060", "sip_via_protocol": "udp", "sip_authorized": "true",
    "sip_acl_authed_by": "domains", "sip_from_user_stripped": None,
    "sip_from_tag": "as5c1e8f0a", "sofia_profile_name": "external",
    "sofia_profile_url": "sip:mod_sofia@198.51.100.10:5080",
    "recovery_profile_name": "external", "sip_req_user": None, "sip_req_uri": None,
    "sip_req_host": "198.51.100.10", "sip_to_user": None, "sip_to_uri": None,
    "sip_to_host": "198.51.100.10", "sip_contact_params": "transport=udp",
    "sip_contact_user": None, "sip_contact_port": "5060", "sip_contact_uri": None,
    "sip_contact_host": "203.0.113.7", "sip_via_host": "203.0.113.7", "sip_via_port": "5060",
    "sip_via_rport": "5060", "switch_r_sdp": (
        "v=0\r\no=root 1649263129 1649263129 IN IP4 203.0.113.7\r\ns=Asterisk PBX 18\r\n"
        "c=IN IP4 203.0.113.7\r\nt=0 0\r\nm=audio 18230 RTP/AVP 0 8 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
        "a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
    ),
    "rtp_remote_audio_rtcp_port": "18231", "rtp_audio_recv_pt": "0",
    "rtp_use_codec_name": "PCMU", "rtp_use_codec_rate": "8000", "rtp_use_codec_ptime": "20",
    "rtp_use_codec_channels": "1", "rtp_last_audio_codec_string": "PCMU@8000h@20i@1c",
    "read_codec": "PCMU", "original_read_codec": "PCMU", "read_rate": "8000",
    "original_read_rate": "8000", "write_codec": "PCMU", "write_rate": "8000",
    "dtmf_type": "rfc2833", "local_media_ip": "198.51.100.10", "local_media_port": "24680",
    "advertised_media_ip": "198.51.100.10", "rtp_use_pt": "0", "rtp_use_ssrc": "1465391210",
    "rtp_2833_send_payload": "101", "rtp_2833_recv_payload": "101",
    "remote_media_ip": "203.0.113.7", "remote_media_port": "18230",
    "endpoint_disposition": "ANSWER", "current_application_data": None,
    "current_application": "bridge", "dialed_extension": None,
    "export_vars": "RFC2822_DATE", "ringback": "%(2000,4000,440,480)",
    "transfer_ringback": "local_stream://moh", "call_timeout": "30",
    "hangup_after_bridge": "true", "continue_on_fail": "true",
    "RFC2822_DATE": "Mon, 23 Nov 2026 10:00:00 +0000", "DP_MATCH": None,
    "rtp_audio_in_raw_bytes": "1437920", "rtp_audio_in_media_bytes": "1437920",
    "rtp_audio_in_packet_count": "8360", "rtp_audio_in_media_packet_count": "8360",
    "rtp_audio_in_skip_packet_count": "12", "rtp_audio_in_jitter_packet_count": "0",
    "rtp_audio_in_dtmf_packet_count": "0", "rtp_audio_in_cng_packet_count": "0",
    "rtp_audio_in_flush_packet_count": "0", "rtp_audio_in_largest_jb_size": "0",
    "rtp_audio_in_jitter_min_variance": "0.53", "rtp_audio_in_jitter_max_variance": "7.81",
    "rtp_audio_in_jitter_loss_rate": "0.00", "rtp_audio_in_jitter_burst_rate": "0.00",
    "rtp_audio_in_mean_interval": "20.00", "rtp_audio_in_flaw_total": "4",
    "rtp_audio_in_quality_percentage": "99.60", "rtp_audio_in_mos": "4.48",
    "rtp_audio_out_raw_bytes": "1436200", "rtp_audio_out_media_bytes": "1436200",
    "rtp_audio_out_packet_count": "8350", "rtp_audio_out_media_packet_count": "8350",
    "rtp_audio_rtcp_packet_count": "33", "rtp_audio_rtcp_octet_count": "1320",
}  # fmt: skip


def cdr(
    *,
    call_uuid: str | None = None,
    leg: str = "a",
    a_leg_uuid: str | None = None,
    outcome: str = "answered",
    end: datetime | None = None,
    caller: str = "+14155550100",
    callee: str = "442071234567",
    talk_seconds: int = 167,
    ring_seconds: int = 6,
    accountcode: str | None = None,
    encode_values: bool = True,
    old_callflow: bool = False,
    transferred: bool = False,
) -> str:
    """One CDR as mod_json_cdr's JSON text.

    `leg` a (the inbound leg that called in) or b (the outbound leg, `originating_leg_uuid`
    = `a_leg_uuid`); `outcome` answered (the caller hangs up), busy (the callee refuses
    with 486), no_answer (480 after ringing) or canceled (the caller gives up: 487).
    `old_callflow` writes one `"callflow"` key per profile, as older builds did.
    """
    call_uuid = call_uuid or str(uuid.uuid4())
    end = end or (datetime.now(UTC) - timedelta(seconds=2))
    answered = outcome == "answered"
    start = end - timedelta(seconds=ring_seconds + (talk_seconds if answered else 0))
    answer = start + timedelta(seconds=ring_seconds) if answered else None
    start_us, end_us = _us(start), _us(end)
    answer_us = _us(answer) if answer else 0
    cause, disposition, status = {
        "answered": ("NORMAL_CLEARING", "recv_bye" if leg == "a" else "send_bye", "200"),
        "busy": ("USER_BUSY", "send_refuse" if leg == "a" else "recv_refuse", "486"),
        "no_answer": ("NO_ANSWER", "send_refuse" if leg == "a" else "recv_refuse", "480"),
        "canceled": ("ORIGINATOR_CANCEL", "recv_cancel" if leg == "a" else "send_cancel", "487"),
    }[outcome]
    direction = "inbound" if leg == "a" else "outbound"
    variables: dict[str, str] = {}
    for name, value in _FILLER.items():
        variables[name] = value if value is not None else ""
    variables.update({
        "direction": direction, "is_outbound": "true" if leg == "b" else "false",
        "uuid": call_uuid, "call_uuid": call_uuid,
        "channel_name": f"sofia/external/{caller}@203.0.113.7:5060",
        "sip_call_id": f"{call_uuid[:8]}@203.0.113.7", "sip_from_user": caller,
        "sip_from_uri": f"{caller}@pbx.example.com", "sip_req_user": callee,
        "sip_to_user": callee, "sip_req_uri": f"{callee}@198.51.100.10",
        "sip_to_uri": f"{callee}@198.51.100.10", "sip_contact_user": caller,
        "sip_contact_uri": f"{caller}@203.0.113.7:5060", "dialed_extension": callee,
        "current_application_data": f"sofia/gateway/carrier/{callee}", "DP_MATCH": callee,
        "sip_from_user_stripped": caller, "sip_invite_stamp": str(start_us),
        "hangup_cause": cause, "hangup_cause_q850": {
            "NORMAL_CLEARING": "16", "USER_BUSY": "17", "NO_ANSWER": "19",
            "ORIGINATOR_CANCEL": "487"}[cause],
        "sip_hangup_disposition": disposition, "sip_term_status": status,
        "sip_term_cause": {"200": "16", "486": "17", "480": "19", "487": "127"}[status],
        "start_stamp": _stamp(start), "answer_stamp": _stamp(answer) if answer else "",
        "end_stamp": _stamp(end), "start_epoch": str(start_us // 1_000_000),
        "answer_epoch": str(answer_us // 1_000_000), "end_epoch": str(end_us // 1_000_000),
        "start_uepoch": str(start_us), "answer_uepoch": str(answer_us),
        "end_uepoch": str(end_us), "progress_uepoch": str(start_us + 1_000_000),
        "duration": str(end_us // 1_000_000 - start_us // 1_000_000),
        "billsec": str(end_us // 1_000_000 - answer_us // 1_000_000) if answer else "0",
        "progresssec": "1", "answersec": str(ring_seconds) if answered else "0",
        "waitsec": str(ring_seconds) if answered else "0",
        "mduration": str((end_us - start_us) // 1000),
        "billmsec": str((end_us - answer_us) // 1000) if answer else "0",
        "flow_billsec": str(end_us // 1_000_000 - start_us // 1_000_000),
    })  # fmt: skip
    if leg == "b":
        a_leg = a_leg_uuid or str(uuid.uuid4())
        variables["originating_leg_uuid"] = a_leg
        variables["originator"] = a_leg
        variables["signal_bond"] = a_leg
    elif answered:
        variables["last_bridge_to"] = str(uuid.uuid4())
        variables["bridge_uuid"] = variables["last_bridge_to"]
    if accountcode:
        variables["accountcode"] = accountcode
    if not answered:
        for name in list(variables):
            if name.startswith("rtp_audio_"):
                del variables[name]
    if encode_values:
        variables = {k: quote(v, safe="") if v else v for k, v in variables.items()}
        variables = {k: v for k, v in variables.items() if v}  # FreeSWITCH skips empty ones
    profiles = [_profile(call_uuid, caller, callee, start_us, answer_us, end_us, leg, a_leg_uuid)]
    if transferred:  # the newest profile comes first: the call went on to voicemail
        later = _profile(call_uuid, caller, "voicemail", start_us, answer_us, end_us, leg, None)
        profiles.insert(0, later)
    document = {
        "core-uuid": CORE_UUID, "switchname": "fs1.example.com",
        "channel_data": {"state": "CS_REPORTING", "direction": direction,
                         "state_number": "11", "flags": "0=1;1=1;3=1;38=1;39=1;41=1",
                         "caps": "1=1;2=1;3=1;4=1;5=1;6=1"},
        "callStats": _stats() if answered else {},
        "variables": variables,
        "app_log": {"applications": [
            {"app_name": "set", "app_data": "ringback=%(2000,4000,440,480)",
             "app_stamp": str(start_us + 1200)},
            {"app_name": "bridge", "app_data": f"sofia/gateway/carrier/{callee}",
             "app_stamp": str(start_us + 2400)},
        ]} if leg == "a" else {"applications": []},
    }  # fmt: skip
    if not old_callflow:
        document["callflow"] = profiles
        return json.dumps(document, separators=(",", ":"))
    # cJSON of older builds: one "callflow" member per profile, repeated keys.
    text = json.dumps(document, separators=(",", ":"))[:-1]
    for profile in profiles:
        text += ',"callflow":' + json.dumps(profile, separators=(",", ":"))
    return text + "}"


def post_body(text: str, encode: str = "false") -> tuple[bytes, str]:
    """(body, Content-Type) as mod_json_cdr posts `text` with its `encode` setting."""
    if encode == "true":
        return b"cdr=" + quote(text, safe="").encode(), "application/x-www-form-urlencoded"
    if encode == "base64":
        return b"cdr=" + base64.b64encode(text.encode()), "application/x-www-form-base64-encoded"
    return text.encode(), "application/json"


def _profile(call_uuid, caller, callee, start_us, answer_us, end_us, leg, a_leg_uuid) -> dict:
    profile = {
        "username": caller, "dialplan": "XML", "caller_id_name": caller, "ani": caller,
        "aniii": "", "caller_id_number": caller, "network_addr": "203.0.113.7", "rdnis": "",
        "destination_number": callee, "uuid": call_uuid, "source": "mod_sofia",
        "context": "public", "chan_name": f"sofia/external/{caller}@203.0.113.7:5060",
    }  # fmt: skip
    if leg == "b" and a_leg_uuid:
        originator = dict(profile, uuid=a_leg_uuid)
        profile["originator"] = {"originator_caller_profiles": [originator]}
    return {
        "dialplan": "XML", "profile_index": "1",
        "extension": {"name": "outbound", "number": callee, "applications": [
            {"app_name": "bridge", "app_data": f"sofia/gateway/carrier/{callee}"}]},
        "caller_profile": profile,
        "times": {
            "created_time": str(start_us), "profile_created_time": str(start_us),
            "progress_time": str(start_us + 1_000_000), "progress_media_time": "0",
            "answered_time": str(answer_us), "bridged_time": str(answer_us),
            "last_hold_time": "0", "hold_accum_time": "0", "hangup_time": str(end_us),
            "resurrect_time": "0", "transfer_time": "0",
        },
    }  # fmt: skip


def _stats() -> dict:
    inbound = {
        "raw_bytes": 1437920, "media_bytes": 1437920, "packet_count": 8360,
        "media_packet_count": 8356, "skip_packet_count": 12, "jitter_packet_count": 0,
        "dtmf_packet_count": 0, "cng_packet_count": 0, "flush_packet_count": 0,
        "largest_jb_size": 0, "jitter_min_variance": 0.53, "jitter_max_variance": 7.81,
        "jitter_loss_rate": 0, "jitter_burst_rate": 0, "mean_interval": 20.0,
        "flaw_total": 44, "quality_percentage": 99.6, "mos": 4.48,
    }  # fmt: skip
    outbound = {
        "raw_bytes": 1436200, "media_bytes": 1436200, "packet_count": 8350,
        "media_packet_count": 8350, "skip_packet_count": 0, "dtmf_packet_count": 0,
        "cng_packet_count": 0, "rtcp_packet_count": 33, "rtcp_octet_count": 1320,
    }  # fmt: skip
    return {"audio": {"inbound": inbound, "outbound": outbound}}


def _us(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")

// gss_probe: the real-Kerberos side of the interop tests (tests/interop/README.md).
//
// A small GSS-API program linked to MIT's libgssapi_krb5. It plays the client, the
// front end and the back end of one delegated hop against a real KDC, and prints what
// happened as one JSON object on stdout, so that the driver (interop.py) compares it
// with delegsim's decision for the same matrix row:
//
//   gss_probe hop --user-ccache FILE --front NAME --front-keytab FILE
//                 --front-ccache FILE --back NAME --back-keytab FILE
//                 --deleg always|policy|none --mutual yes|no --store FILE
//   gss_probe list CCACHE      every ticket of a credential cache: client, server, flags
//   gss_probe errors           the krb5 message of each KDC protocol error (0..100)
//
// NAMEs are Kerberos principal names (http/fe.mit.test@MIT.TEST). Nothing here opens a
// socket itself: the library talks to the KDC named by KRB5_CONFIG (127.0.0.1 only).
// Exit status: 0 when the probe ran (whatever the verdicts), 2 on bad usage.

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
#include <krb5/krb5.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

// JSON string literal of `text` (control characters escaped).
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// The mechanism's message and numeric code for a failed GSS call.
struct GssFailure {
  std::string message;
  long minor = 0;  // a krb5_error_code (com_err table krb5), 0 when none
};

GssFailure Describe(OM_uint32 major, OM_uint32 minor) {
  GssFailure failure;
  failure.minor = static_cast<krb5_error_code>(minor);
  for (int type : {GSS_C_GSS_CODE, GSS_C_MECH_CODE}) {
    OM_uint32 code = type == GSS_C_GSS_CODE ? major : minor;
    if (type == GSS_C_MECH_CODE && minor == 0) continue;
    OM_uint32 context = 0;
    do {
      OM_uint32 ignored;
      gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
      gss_display_status(&ignored, code, type, GSS_C_NO_OID, &context, &text);
      if (!failure.message.empty()) failure.message += ": ";
      failure.message.append(static_cast<const char*>(text.value), text.length);
      gss_release_buffer(&ignored, &text);
    } while (context != 0);
  }
  return failure;
}

// Imports a Kerberos principal name.
gss_name_t ImportName(const std::string& principal) {
  OM_uint32 minor;
  gss_buffer_desc buffer{principal.size(), const_cast<char*>(principal.data())};
  gss_name_t name = GSS_C_NO_NAME;
  gss_import_name(&minor, &buffer, GSS_KRB5_NT_PRINCIPAL_NAME, &name);
  return name;
}

std::string DisplayName(gss_name_t name) {
  OM_uint32 minor;
  gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
  if (gss_display_name(&minor, name, &text, nullptr) != GSS_S_COMPLETE) return "";
  std::string out(static_cast<const char*>(text.value), text.length);
  gss_release_buffer(&minor, &text);
  return out;
}

// A credential from a store (ccache and/or keytab), or GSS_C_NO_CREDENTIAL and a
// failure. The caller releases it.
gss_cred_id_t Acquire(const std::string& principal,
                      const std::vector<std::pair<const char*, std::string>>& store,
                      gss_cred_usage_t usage, GssFailure* failure) {
  std::vector<gss_key_value_element_desc> elements;
  for (const auto& [key, value] : store) elements.push_back({key, value.c_str()});
  gss_key_value_set_desc set{static_cast<OM_uint32>(elements.size()), elements.data()};
  gss_name_t name = principal.empty() ? GSS_C_NO_NAME : ImportName(principal);
  OM_uint32 minor = 0;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  OM_uint32 major = gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE, GSS_C_NO_OID_SET, usage,
                                          &set, &cred, nullptr, nullptr);
  if (name != GSS_C_NO_NAME) gss_release_name(&minor, &name);
  if (GSS_ERROR(major)) *failure = Describe(major, minor);
  return cred;
}

// One authentication from `initiator` to `target` accepted with `acceptor`: tokens go
// back and forth in memory (at most 4 legs). On success, `source` names the client the
// acceptor saw and `delegated` holds any delegated credential (caller releases).
struct Exchange {
  bool ok = false;
  std::string stage;  // "init" or "accept" when not ok
  GssFailure failure;
  std::string source;
  OM_uint32 accept_flags = 0;
  OM_uint32 init_flags = 0;
  gss_cred_id_t delegated = GSS_C_NO_CREDENTIAL;
};

Exchange Authenticate(gss_cred_id_t initiator, const std::string& target, gss_cred_id_t acceptor,
                      OM_uint32 request_flags) {
  Exchange result;
  OM_uint32 minor;
  gss_name_t target_name = ImportName(target);
  gss_ctx_id_t init_ctx = GSS_C_NO_CONTEXT, accept_ctx = GSS_C_NO_CONTEXT;
  gss_buffer_desc to_acceptor = GSS_C_EMPTY_BUFFER, to_initiator = GSS_C_EMPTY_BUFFER;
  bool init_done = false, accept_done = false;
  for (int leg = 0; leg < 4 && !(init_done && accept_done); ++leg) {
    if (!init_done) {
      OM_uint32 m = 0;
      OM_uint32 major =
          gss_init_sec_context(&m, initiator, &init_ctx, target_name, GSS_C_NO_OID, request_flags,
                               0, GSS_C_NO_CHANNEL_BINDINGS, &to_initiator, nullptr, &to_acceptor,
                               &result.init_flags, nullptr);
      gss_release_buffer(&minor, &to_initiator);
      if (GSS_ERROR(major)) {
        result.stage = "init";
        result.failure = Describe(major, m);
        break;
      }
      init_done = !(major & GSS_S_CONTINUE_NEEDED);
    }
    if (to_acceptor.length == 0) continue;
    OM_uint32 m = 0;
    gss_name_t source = GSS_C_NO_NAME;
    OM_uint32 major = gss_accept_sec_context(
        &m, &accept_ctx, acceptor, &to_acceptor, GSS_C_NO_CHANNEL_BINDINGS, &source, nullptr,
        &to_initiator, &result.accept_flags, nullptr, &result.delegated);
    gss_release_buffer(&minor, &to_acceptor);
    if (GSS_ERROR(major)) {
      result.stage = "accept";
      result.failure = Describe(major, m);
      break;
    }
    accept_done = !(major & GSS_S_CONTINUE_NEEDED);
    if (accept_done) {
      result.source = DisplayName(source);
      gss_release_name(&minor, &source);
    }
    if (to_initiator.length == 0 && !init_done) break;  // nothing more to say
  }
  result.ok = result.stage.empty() && init_done && accept_done;
  if (!result.ok && result.stage.empty()) {
    result.stage = "init";
    result.failure.message = "the exchange did not complete";
  }
  gss_release_buffer(&minor, &to_acceptor);
  gss_release_buffer(&minor, &to_initiator);
  gss_delete_sec_context(&minor, &init_ctx, GSS_C_NO_BUFFER);
  gss_delete_sec_context(&minor, &accept_ctx, GSS_C_NO_BUFFER);
  gss_release_name(&minor, &target_name);
  return result;
}

// `klist -f` letters of ticket flags, in klist's order.
std::string FlagLetters(krb5_flags flags) {
  static const std::pair<krb5_flags, char> kLetters[] = {
      {TKT_FLG_FORWARDABLE, 'F'},    {TKT_FLG_FORWARDED, 'f'},
      {TKT_FLG_PROXIABLE, 'P'},      {TKT_FLG_PROXY, 'p'},
      {TKT_FLG_MAY_POSTDATE, 'D'},   {TKT_FLG_POSTDATED, 'd'},
      {TKT_FLG_INVALID, 'i'},        {TKT_FLG_RENEWABLE, 'R'},
      {TKT_FLG_INITIAL, 'I'},        {TKT_FLG_HW_AUTH, 'H'},
      {TKT_FLG_PRE_AUTH, 'A'},       {TKT_FLG_TRANSIT_POLICY_CHECKED, 'T'},
      {TKT_FLG_OK_AS_DELEGATE, 'O'}, {TKT_FLG_ANONYMOUS, 'a'}};
  std::string out;
  for (const auto& [bit, letter] : kLetters) {
    if (flags & bit) out += letter;
  }
  return out;
}

// Every ticket of `ccache_name` as a JSON array of {client, server, flags}; credential
// cache configuration entries are left out. "[]" when the cache cannot be read.
std::string ListTickets(const std::string& ccache_name) {
  krb5_context context;
  if (krb5_init_context(&context) != 0) return "[]";
  std::string out = "[";
  krb5_ccache ccache;
  krb5_cc_cursor cursor;
  if (krb5_cc_resolve(context, ccache_name.c_str(), &ccache) == 0) {
    if (krb5_cc_start_seq_get(context, ccache, &cursor) == 0) {
      krb5_creds creds;
      bool first = true;
      while (krb5_cc_next_cred(context, ccache, &cursor, &creds) == 0) {
        if (!krb5_is_config_principal(context, creds.server)) {
          char *client = nullptr, *server = nullptr;
          krb5_unparse_name(context, creds.client, &client);
          krb5_unparse_name(context, creds.server, &server);
          out += first ? "" : ",";
          first = false;
          out += "{\"client\":" + Quote(client ? client : "") +
                 ",\"server\":" + Quote(server ? server : "") +
                 ",\"flags\":" + Quote(FlagLetters(creds.ticket_flags)) + "}";
          krb5_free_unparsed_name(context, client);
          krb5_free_unparsed_name(context, server);
        }
        krb5_free_cred_contents(context, &creds);
      }
      krb5_cc_end_seq_get(context, ccache, &cursor);
    }
    krb5_cc_close(context, ccache);
  }
  krb5_free_context(context);
  return out + "]";
}

std::string ExchangeJson(const Exchange& exchange) {
  std::string out = "{\"ok\":" + std::string(exchange.ok ? "true" : "false");
  if (!exchange.ok) {
    out += ",\"stage\":" + Quote(exchange.stage) + ",\"error\":" + Quote(exchange.failure.message) +
           ",\"code\":" + std::to_string(exchange.failure.minor);
  } else {
    out += ",\"client\":" + Quote(exchange.source) +
           ",\"deleg_flag\":" + ((exchange.accept_flags & GSS_C_DELEG_FLAG) ? "true" : "false") +
           ",\"mutual\":" + ((exchange.init_flags & GSS_C_MUTUAL_FLAG) ? "true" : "false");
  }
  return out + "}";
}

int Hop(const std::map<std::string, std::string>& args) {
  for (const char* key : {"user-ccache", "front", "front-keytab", "front-ccache", "back",
                          "back-keytab", "deleg", "mutual", "store"}) {
    if (!args.count(key)) {
      std::fprintf(stderr, "gss_probe hop: missing --%s\n", key);
      return 2;
    }
  }
  OM_uint32 flags = 0;
  const std::string& deleg = args.at("deleg");
  if (deleg == "always") {
    flags |= GSS_C_DELEG_FLAG;
  } else if (deleg == "policy") {
    flags |= GSS_C_DELEG_POLICY_FLAG;
  } else if (deleg != "none") {
    std::fprintf(stderr, "gss_probe hop: --deleg must be always, policy or none\n");
    return 2;
  }
  if (args.at("mutual") == "yes") flags |= GSS_C_MUTUAL_FLAG;

  OM_uint32 minor;
  GssFailure failure;
  std::string out = "{";
  gss_cred_id_t user = Acquire("", {{"ccache", args.at("user-ccache")}}, GSS_C_INITIATE, &failure);
  // The front end accepts with its keytab and also holds its own TGT (GSS_C_BOTH), as
  // an MIT service configured for S4U2proxy does: then an accepted forwardable ticket
  // becomes a constrained-delegation credential when no TGT was forwarded.
  gss_cred_id_t front = Acquire(
      args.at("front"), {{"keytab", args.at("front-keytab")}, {"ccache", args.at("front-ccache")}},
      GSS_C_BOTH, &failure);
  gss_cred_id_t back =
      Acquire(args.at("back"), {{"keytab", args.at("back-keytab")}}, GSS_C_ACCEPT, &failure);
  if (user == GSS_C_NO_CREDENTIAL || front == GSS_C_NO_CREDENTIAL || back == GSS_C_NO_CREDENTIAL) {
    std::printf("{\"setup_error\":%s}\n", Quote(failure.message).c_str());
    return 0;
  }
  Exchange first = Authenticate(user, args.at("front"), front, flags);
  out += "\"front\":" + ExchangeJson(first);
  out += ",\"user_tickets\":" + ListTickets(args.at("user-ccache"));
  std::string delegated_kind = "none";
  if (first.ok && first.delegated != GSS_C_NO_CREDENTIAL) {
    // Keep the delegated credential in a cache of its own, to read its tickets and to
    // make the onward hop from it (the tickets it obtains are stored there too).
    const std::string& store = args.at("store");
    gss_key_value_element_desc element{"ccache", store.c_str()};
    gss_key_value_set_desc set{1, &element};
    OM_uint32 major = gss_store_cred_into(&minor, first.delegated, GSS_C_INITIATE, GSS_C_NO_OID, 1,
                                          1, &set, nullptr, nullptr);
    if (GSS_ERROR(major)) {
      out += ",\"store_error\":" + Quote(Describe(major, minor).message);
    } else {
      delegated_kind = "stored";
      out += ",\"delegated_before\":" + ListTickets(store);
      gss_cred_id_t onward = Acquire("", {{"ccache", store}}, GSS_C_INITIATE, &failure);
      if (onward == GSS_C_NO_CREDENTIAL) {
        // Never fall back to the default credential: that would not be the user's.
        out += ",\"store_error\":" + Quote(failure.message);
      } else {
        Exchange second = Authenticate(onward, args.at("back"), back, flags & GSS_C_MUTUAL_FLAG);
        out += ",\"back\":" + ExchangeJson(second);
        out += ",\"delegated_after\":" + ListTickets(store);
        gss_release_cred(&minor, &onward);
      }
    }
  }
  out += ",\"delegated\":" + Quote(delegated_kind) + "}";
  std::printf("%s\n", out.c_str());
  gss_release_cred(&minor, &first.delegated);
  gss_release_cred(&minor, &user);
  gss_release_cred(&minor, &front);
  gss_release_cred(&minor, &back);
  return 0;
}

// The message MIT prints for each KDC protocol error, so that the driver names the
// error behind a kvno failure ("KDC can't fulfill requested option" is 13, BADOPTION).
int Errors() {
  krb5_context context;
  if (krb5_init_context(&context) != 0) return 1;
  for (int code = 0; code <= 100; ++code) {
    const char* message = krb5_get_error_message(context, KRB5KDC_ERR_NONE + code);
    std::printf("%d\t%s\n", code, message);
    krb5_free_error_message(context, message);
  }
  krb5_free_context(context);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "errors") == 0) return Errors();
  if (argc == 3 && std::strcmp(argv[1], "list") == 0) {
    std::printf("%s\n", ListTickets(argv[2]).c_str());
    return 0;
  }
  if (argc >= 2 && std::strcmp(argv[1], "hop") == 0 && argc % 2 == 0) {
    std::map<std::string, std::string> args;
    for (int i = 2; i + 1 < argc; i += 2) {
      if (std::strncmp(argv[i], "--", 2) != 0) break;
      args[argv[i] + 2] = argv[i + 1];
    }
    return Hop(args);
  }
  std::fprintf(stderr,
               "usage: gss_probe hop --user-ccache F --front N --front-keytab F "
               "--front-ccache F --back N --back-keytab F --deleg always|policy|none "
               "--mutual yes|no --store F\n       gss_probe list CCACHE\n"
               "       gss_probe errors\n");
  return 2;
}

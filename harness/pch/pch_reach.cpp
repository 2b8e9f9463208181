// Build tool: which forbidden operations each function of the lite PCH's own object reaches.
//   pch_reach OBJECT EXERCISES_DIR OUT
//
// With -fpch-codegen, the header code a learner's file uses (at::softmax, Tensor::masked_fill, ...) is
// compiled once into the PCH's object, and the learner's file only refers to it. The judge finds a
// forbidden call in the symbols of the learner's linked file; a call made inside that header code (the
// inline at::_scaled_dot_product_attention calling at::_ops::_scaled_dot_product_attention::call) is no
// longer among them. This table puts it back: for every symbol the PCH's object defines, the symbols
// matching any exercise's forbidden prefixes that it reaches through its relocations, directly or
// through other code of the object. OUT gets one line per such symbol: the mangled name, then a tab and
// each reached symbol (demangled). An empty OBJECT (a PCH built without codegen) gives an empty table.
#include <cxxabi.h>
#include <elf.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "../catalogue.h"

namespace {

struct ElfSymbol {
  std::string name, readable;
  uint32_t section;  // SHN_UNDEF (0) when not defined here
  bool global;
};

struct ObjectFile {
  std::vector<ElfSymbol> symbols;
  std::vector<std::vector<uint32_t>> references;  // per section: the symbols its relocations name
};

std::string demangle(const std::string& name) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> readable(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status),
                                                       &std::free);
  return status == 0 ? readable.get() : name;
}

// The symbol table and relocations of a 64-bit relocatable ELF file (what clang wrote: trusted input,
// but read bounds-checked all the same).
ObjectFile read_object(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string elf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ObjectFile object;
  if (elf.empty()) return object;
  auto fits = [&](uint64_t offset, uint64_t size) { return offset <= elf.size() && size <= elf.size() - offset; };
  auto fail = [&] { throw std::runtime_error(path + " is not a readable 64-bit ELF object"); };
  Elf64_Ehdr eh;
  if (!fits(0, sizeof eh)) fail();
  std::memcpy(&eh, elf.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_type != ET_REL ||
      !fits(eh.e_shoff, sizeof(Elf64_Shdr)))
    fail();
  // With more than 0xff00 sections (one per inline function here), e_shnum is 0 and section 0 holds the count.
  Elf64_Shdr first;
  std::memcpy(&first, elf.data() + eh.e_shoff, sizeof first);
  uint64_t count = eh.e_shnum != 0 ? eh.e_shnum : first.sh_size;
  if (!fits(eh.e_shoff, count * sizeof(Elf64_Shdr))) fail();
  std::vector<Elf64_Shdr> sections(count);
  std::memcpy(sections.data(), elf.data() + eh.e_shoff, sections.size() * sizeof(Elf64_Shdr));
  object.references.resize(sections.size());
  // ... and a symbol in a section past 0xff00 has SHN_XINDEX, its section index in SHT_SYMTAB_SHNDX.
  std::vector<uint32_t> extended_index;
  for (const auto& sh : sections)
    if (sh.sh_type == SHT_SYMTAB_SHNDX && fits(sh.sh_offset, sh.sh_size)) {
      extended_index.resize(sh.sh_size / sizeof(uint32_t));
      std::memcpy(extended_index.data(), elf.data() + sh.sh_offset, extended_index.size() * sizeof(uint32_t));
    }
  for (const auto& sh : sections) {
    if (sh.sh_type != SHT_NOBITS && !fits(sh.sh_offset, sh.sh_size)) fail();
    if (sh.sh_type == SHT_SYMTAB) {
      if (sh.sh_link >= sections.size()) fail();
      const auto& strtab = sections[sh.sh_link];
      if (!fits(strtab.sh_offset, strtab.sh_size)) fail();
      for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        std::memcpy(&sym, elf.data() + sh.sh_offset + off, sizeof sym);
        std::string name;
        if (sym.st_name != 0 && sym.st_name < strtab.sh_size) {
          const char* start = elf.data() + strtab.sh_offset + sym.st_name;
          name.assign(start, strnlen(start, strtab.sh_size - sym.st_name));
        }
        uint32_t section = sym.st_shndx;
        if (section == SHN_XINDEX) {
          size_t i = off / sizeof(Elf64_Sym);
          section = i < extended_index.size() ? extended_index[i] : SHN_UNDEF;
        } else if (section >= SHN_LORESERVE) {
          section = SHN_UNDEF;  // absolute or common: no code to follow
        }
        int bind = ELF64_ST_BIND(sym.st_info);
        object.symbols.push_back({name, "", section, bind == STB_GLOBAL || bind == STB_WEAK});
      }
    } else if (sh.sh_type == SHT_RELA && sh.sh_info < sections.size()) {
      for (uint64_t off = 0; off + sizeof(Elf64_Rela) <= sh.sh_size; off += sizeof(Elf64_Rela)) {
        Elf64_Rela rela;
        std::memcpy(&rela, elf.data() + sh.sh_offset + off, sizeof rela);
        object.references[sh.sh_info].push_back(static_cast<uint32_t>(ELF64_R_SYM(rela.r_info)));
      }
    }
  }
  return object;
}

bool defined_in_section(const ElfSymbol& s, size_t sections) { return s.section != SHN_UNDEF && s.section < sections; }

// Every exercise's forbidden symbol prefixes.
std::vector<std::string> forbidden_prefixes(const std::string& exercises_dir) {
  std::vector<std::string> prefixes;
  auto catalogue = kata::Catalogue::load(exercises_dir);
  for (const auto& e : catalogue.all())
    for (const auto& rule : e.forbidden) prefixes.insert(prefixes.end(), rule.symbols.begin(), rule.symbols.end());
  return prefixes;
}

// For each section of the object, the forbidden symbols (demangled) its code reaches: backwards from each
// forbidden symbol, through the sections that refer to it, to the sections that refer to those, ...
std::vector<std::set<std::string>> forbidden_reach(ObjectFile& object, const std::vector<std::string>& prefixes) {
  const size_t n_sections = object.references.size();
  std::map<std::string, std::vector<uint32_t>> users;  // forbidden symbol -> sections that refer to it
  for (auto& s : object.symbols) {
    if (s.name.empty()) continue;
    s.readable = demangle(s.name);
    for (const auto& p : prefixes)
      if (s.readable.rfind(p, 0) == 0) {
        auto& its_users = users[s.readable];
        if (defined_in_section(s, n_sections)) its_users.push_back(s.section);  // it is that code
        break;
      }
  }
  std::vector<std::vector<uint32_t>> referred_by(n_sections);
  for (uint32_t section = 0; section < n_sections; ++section)
    for (uint32_t index : object.references[section]) {
      if (index >= object.symbols.size()) continue;
      const auto& target = object.symbols[index];
      if (defined_in_section(target, n_sections)) referred_by[target.section].push_back(section);
      auto user = users.find(target.readable);
      if (!target.name.empty() && user != users.end()) user->second.push_back(section);
    }

  std::vector<std::set<std::string>> reaches(n_sections);
  for (const auto& [name, sections] : users) {
    std::vector<bool> seen(n_sections, false);
    std::deque<uint32_t> todo(sections.begin(), sections.end());
    while (!todo.empty()) {
      uint32_t section = todo.front();
      todo.pop_front();
      if (seen[section]) continue;
      seen[section] = true;
      reaches[section].insert(name);
      for (uint32_t from : referred_by[section]) todo.push_back(from);
    }
  }
  return reaches;
}

// One line per symbol the object exports whose code reaches a forbidden symbol.
void write_table(const ObjectFile& object, const std::vector<std::set<std::string>>& reaches, const std::string& path) {
  std::ofstream out(path);
  std::set<std::string> written;
  for (const auto& s : object.symbols) {
    if (!s.global || !defined_in_section(s, reaches.size()) || reaches[s.section].empty()) continue;
    if (!written.insert(s.name).second) continue;
    out << s.name;
    for (const auto& name : reaches[s.section]) out << '\t' << name;
    out << '\n';
  }
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: pch_reach OBJECT EXERCISES_DIR OUT\n");
    return 2;
  }
  try {
    auto prefixes = forbidden_prefixes(argv[2]);
    auto object = read_object(argv[1]);
    write_table(object, forbidden_reach(object, prefixes), argv[3]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pch_reach: %s\n", e.what());
    return 1;
  }
  return 0;
}
